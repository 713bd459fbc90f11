/**
 * Node side of the demo's model list (used by vite.config.ts, never bundled into the page): when `weights/models.json`
 * does not exist, the dev server answers that path with a listing of what `weights/` holds, so `npm start` offers every
 * model put there (by hand, by `npx fixations weights get` or by the page's download button) without writing any list;
 * `vite build --mode with-weights` writes the same list into the build with copies of the files.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Plugin } from 'vite';
import type { RegistryFile } from './model-registry.ts';
import { modelLabel } from '../labels/model-labels.ts';
import { weightsGetMiddleware } from './weights-get-node.ts';

type Entry = NonNullable<RegistryFile['models']>[number];

const labelNames = ['names.txt', 'labels.txt', 'imagenet.shortnames.list'];
const imageExtensions = /\.(jpe?g|png|webp|gif|avif)$/i;

async function filesIn(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

async function sizeOf(paths: string[]): Promise<number> {
  let total = 0;
  for (const path of paths) total += (await stat(path).catch(() => null))?.size ?? 0;
  return total;
}

/**
 * The model of one folder: its converted form when there is one (what `weights get` leaves beside the downloads, and
 * much faster to load), else darknet cfg + weights, tfjs model.json, safetensors. One entry per model.
 */
async function modelsIn(weightsDir: string, dir: string): Promise<Entry[]> {
  const names = await filesIn(dir);
  const url = (name: string) => relative(weightsDir, join(dir, name)).split(sep).join('/');
  const folder = relative(weightsDir, dir) || 'weights';
  const labels = names.find((n) => labelNames.includes(n) || n.endsWith('.names'));
  const converted: Entry[] = [];
  for (const manifest of names.filter((n) => n.endsWith('.fixations.json'))) {
    const name = await readFile(join(dir, manifest), 'utf8')
      .then((text) => (JSON.parse(text) as { name?: unknown }).name)
      .catch(() => undefined);
    const base = manifest.slice(0, -'.fixations.json'.length);
    const bins = names.filter((n) => n.startsWith(`${base}-`) && n.endsWith('.bin')).map((n) => join(dir, n));
    converted.push({
      id: `${folder}/${manifest}`,
      label: modelLabel(typeof name === 'string' ? name : folder),
      format: 'converted',
      files: { manifest: url(manifest) },
      bytes: await sizeOf(bins),
    });
  }
  if (converted.length > 0) return converted;
  const models: Entry[] = [];
  for (const cfg of names.filter((n) => n.endsWith('.cfg'))) {
    const base = cfg.slice(0, -4);
    const weightsFiles = names.filter((n) => n.endsWith('.weights'));
    const weights = weightsFiles.find((n) => n === `${base}.weights`) ?? (weightsFiles.length === 1 ? weightsFiles[0] : undefined);
    if (!weights) continue;
    models.push({
      id: `${folder}/${base}`,
      label: base === 'tiny' ? 'Tiny Darknet' : `${folder}: ${base} (darknet)`,
      format: 'darknet',
      files: { cfg: url(cfg), weights: url(weights), ...(labels ? { names: url(labels) } : {}) },
      bytes: await sizeOf([join(dir, weights)]),
    });
  }
  for (const json of names.filter((n) => n.endsWith('.json') && !n.endsWith('.fixations.json') && n !== 'models.json' && n !== 'manifest.json')) {
    const text = await readFile(join(dir, json), 'utf8').catch(() => '');
    if (!text.includes('weightsManifest')) continue;
    const shards = names.filter((n) => n.endsWith('.bin')).map((n) => join(dir, n));
    models.push({ id: `${folder}/${json}`, label: `${folder} (TensorFlow.js)`, format: 'tfjs', files: { model: url(json) }, bytes: await sizeOf(shards) });
  }
  for (const checkpoint of names.filter((n) => n.endsWith('.safetensors'))) {
    models.push({
      id: `${folder}/${checkpoint}`,
      label: `${folder} (safetensors)`,
      format: 'safetensors',
      files: { checkpoint: url(checkpoint) },
      bytes: await sizeOf([join(dir, checkpoint)]),
    });
  }
  return models;
}

/** What `weights/` holds, as `weights/models.json` would list it, with the photos in `weights/gallery/`. */
export async function listWeights(weightsDir: string): Promise<RegistryFile> {
  if (!existsSync(weightsDir)) return { models: [], gallery: [] };
  const folders = (await readdir(weightsDir, { withFileTypes: true }))
    .filter((e) => e.isDirectory() || e.isSymbolicLink())
    .map((e) => join(weightsDir, e.name))
    .sort();
  const models = (await Promise.all([weightsDir, ...folders].map((dir) => modelsIn(weightsDir, dir)))).flat();
  // Converted models first (the fastest to load), then ImageNet classifiers (darknet, VGG), smallest first within a
  // format: the page loads the first at start, and a tfjs model in weights/ is most likely the 10-class TinyVGG toy.
  const preference = ['converted', 'darknet', 'safetensors', 'tfjs'];
  models.sort((a, b) => preference.indexOf(a.format!) - preference.indexOf(b.format!) || (a.bytes ?? 0) - (b.bytes ?? 0));
  const gallery = (await filesIn(join(weightsDir, 'gallery'))).filter((n) => imageExtensions.test(n)).map((n) => `gallery/${n}`);
  return { models, gallery };
}

/**
 * Copies every model `listWeights` finds (links followed) and the gallery into `<outDir>/weights/` and writes the list
 * as `<outDir>/weights/models.json`: what `vite build --mode with-weights` ships.
 */
export async function copyWeightsInto(weightsDir: string, outDir: string): Promise<RegistryFile> {
  const listing = await listWeights(weightsDir);
  const target = join(outDir, 'weights');
  const paths = [...(listing.models ?? []).flatMap((m) => Object.values(m.files ?? {})), ...(listing.gallery ?? [])];
  for (const entry of listing.models ?? []) {
    // A converted manifest names its binary files; a tfjs model.json its shards: take the whole folder's files.
    if (entry.format === 'converted' || entry.format === 'tfjs') {
      const folder = dirname(Object.values(entry.files ?? {})[0]);
      for (const name of await filesIn(join(weightsDir, folder))) if (name.endsWith('.bin')) paths.push(`${folder}/${name}`);
    }
  }
  for (const path of new Set(paths)) {
    await mkdir(dirname(join(target, path)), { recursive: true });
    await copyFile(join(weightsDir, path), join(target, path));
  }
  await writeFile(join(target, 'models.json'), JSON.stringify(listing, null, 2));
  return listing;
}

/**
 * The Vite plugin of the demo: under `npm start`, `weights/models.json` (unless the file exists) answers with a listing
 * of `weights/`, and the page's download button runs `weights get` (weights-get-node.ts); `vite build --mode
 * with-weights` copies the models of `weights/` into the build.
 */
export function weightsListing(weightsDir: string): Plugin {
  let outDir = 'dist';
  let copy = false;
  return {
    name: 'fixations-weights-listing',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
      copy = config.command === 'build' && config.mode === 'with-weights';
    },
    async closeBundle() {
      if (!copy) return;
      const listing = await copyWeightsInto(weightsDir, outDir);
      this.info(`copied ${listing.models?.length ?? 0} model(s) from weights/ into ${join(outDir, 'weights')}`);
    },
    configureServer(server) {
      server.middlewares.use(weightsGetMiddleware(weightsDir));
      server.middlewares.use(async (request, response, next) => {
        if (request.url?.split('?')[0] !== '/weights/models.json' || existsSync(join(weightsDir, 'models.json'))) return next();
        try {
          response.setHeader('content-type', 'application/json');
          response.setHeader('cache-control', 'no-cache');
          response.end(JSON.stringify(await listWeights(weightsDir), null, 2));
        } catch (error) {
          next(error);
        }
      });
    },
  };
}
