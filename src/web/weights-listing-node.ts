/**
 * Node side of the demo's model list (used by vite.config.ts, never bundled into the page): when `weights/models.json`
 * does not exist, the dev server answers that path with a listing of what `weights/` holds, so `npm start` offers every
 * model put there (by hand or by `npx fixations weights get`) without writing any list.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Plugin } from 'vite';
import type { RegistryFile } from './model-registry.ts';

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

/** The models of one folder: darknet cfg + weights, tfjs model.json, safetensors, converted manifests. */
async function modelsIn(weightsDir: string, dir: string): Promise<Entry[]> {
  const names = await filesIn(dir);
  const url = (name: string) => relative(weightsDir, join(dir, name)).split(sep).join('/');
  const folder = relative(weightsDir, dir) || 'weights';
  const labels = names.find((n) => labelNames.includes(n) || n.endsWith('.names'));
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
  for (const manifest of names.filter((n) => n.endsWith('.fixations.json'))) {
    const bins = names.filter((n) => n.endsWith('.bin')).map((n) => join(dir, n));
    models.push({ id: `${folder}/${manifest}`, label: `${folder} (converted)`, format: 'converted', files: { manifest: url(manifest) }, bytes: await sizeOf(bins) });
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
  // ImageNet classifiers first (darknet, VGG), smallest first within a format: the page loads the first at start, and
  // a tfjs model in weights/ is most likely the 10-class TinyVGG toy.
  const preference = ['darknet', 'converted', 'safetensors', 'tfjs'];
  models.sort((a, b) => preference.indexOf(a.format!) - preference.indexOf(b.format!) || (a.bytes ?? 0) - (b.bytes ?? 0));
  const gallery = (await filesIn(join(weightsDir, 'gallery'))).filter((n) => imageExtensions.test(n)).map((n) => `gallery/${n}`);
  return { models, gallery };
}

export function weightsListing(weightsDir: string): Plugin {
  return {
    name: 'fixations-weights-listing',
    configureServer(server) {
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
