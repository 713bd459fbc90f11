/**
 * `fixations weights get <name>`: downloads every file of a manifest model into its cache folder (resuming what an
 * earlier run left, verifying what the manifest knows), then converts it to the fast-loading format beside them, which
 * is what `--model <name>` and the browser demo load.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { convertedManifestPath, modelFolder, readWeightsManifest, weightsCacheDir, type CacheDirReason } from './cache.ts';
import { WeightsCacheError } from './cached-model.ts';
import { downloadFile, verifyFile, type DownloadProgress, type DownloadResult } from './download.ts';
import { loadManifestModel } from './load-source.ts';
import { findManifestModel, type ManifestModel } from './manifest.ts';
import type { ProgressReporter } from './progress.ts';
import { writeConvertedModel, type WrittenModel } from './write-converted.ts';

export interface GetOptions {
  /** Cache folder (`--dir`). */
  dir?: string;
  /** Weights manifest to read instead of the shipped one. */
  manifest?: string;
  /** Convert after downloading (default true). */
  convert?: boolean;
  retries?: number;
  idleTimeoutMs?: number;
  /** A fresh progress display for each file downloaded. */
  reporter?: () => ProgressReporter;
  log?: (line: string) => void;
  /** Called once the model and its folder are known, before any download. */
  onStart?: (entry: ManifestModel, folder: string, reason: CacheDirReason) => void;
}

export interface GetResult {
  entry: ManifestModel;
  cacheDir: string;
  cacheReason: CacheDirReason;
  folder: string;
  downloads: DownloadResult[];
  /** Files that were already complete. */
  present: string[];
  /** Null when conversion was skipped or was already done. */
  converted: WrittenModel | null;
  convertedPath: string | null;
}

export async function getWeights(name: string, options: GetOptions = {}): Promise<GetResult> {
  const log = options.log ?? (() => {});
  const manifest = await readWeightsManifest(options.manifest);
  const entry = findManifestModel(manifest, name);
  if (!entry) throw new WeightsCacheError(`${manifest.file} has no model "${name}"; it has ${manifest.models.map((m) => m.name).join(', ')}`);
  const { dir: cacheDir, reason } = weightsCacheDir({ dir: options.dir });
  const folder = modelFolder(cacheDir, name);
  options.onStart?.(entry, folder, reason);
  const rerun = `"npx fixations weights get ${name}${options.dir ? ` --dir ${options.dir}` : ''}"`;
  const downloads: DownloadResult[] = [];
  const present: string[] = [];
  for (const file of entry.files) {
    const destination = join(folder, file.name);
    if (existsSync(destination)) {
      await verifyFile(destination, file);
      present.push(file.name);
      log(`${file.name}: already there`);
      continue;
    }
    const reporter = options.reporter?.();
    let last: DownloadProgress | null = null;
    try {
      const result = await downloadFile({
        urls: file.urls,
        destination,
        size: file.size,
        sha256: file.sha256,
        md5: file.md5,
        retries: options.retries,
        idleTimeoutMs: options.idleTimeoutMs,
        rerun,
        onProgress: (p) => {
          last = p;
          reporter?.update(p);
        },
      });
      reporter?.finish(last, true);
      downloads.push(result);
      log(`${file.name}: ${result.bytes} bytes from ${result.url}, sha256 ${result.sha256}`);
    } catch (error) {
      reporter?.finish(last, false);
      throw error;
    }
  }
  const convertedPath = convertedManifestPath(cacheDir, name);
  let converted: WrittenModel | null = null;
  if (options.convert !== false && (downloads.length > 0 || !existsSync(convertedPath))) {
    const model = await loadManifestModel(entry, folder);
    const checkpoint = entry.files.find((f) => f.role === 'checkpoint')!.name;
    converted = await writeConvertedModel(model, folder, { baseName: name, source: { file: checkpoint, format: entry.format } });
  }
  return { entry, cacheDir, cacheReason: reason, folder, downloads, present, converted, convertedPath: existsSync(convertedPath) ? convertedPath : null };
}
