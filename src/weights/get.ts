/**
 * `fixations weights get <name>`: downloads every file of a manifest model into its cache folder (resuming what an
 * earlier run left, verifying what the manifest knows), then converts it to the fast-loading format beside them, which
 * is what `--model <name>` and the browser demo load.
 */
import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ModelFormatError } from '../loaders/format-error.ts';
import { ModelWeightsError } from '../graph/model.ts';
import { convertedManifestPath, modelFolder, readWeightsManifest, weightsCacheDir, type CacheDirReason } from './cache.ts';
import { WeightsCacheError } from './cached-model.ts';
import { ChecksumError, DownloadError, downloadFile, verifyFile, type DownloadProgress, type DownloadResult } from './download.ts';
import { loadManifestModel } from './load-source.ts';
import { findManifestModel, type ManifestFile, type ManifestModel } from './manifest.ts';
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

/** Several files failed: one message naming each, and where each goes to be placed by hand. */
function severalFailed(name: string, failures: { file: string; error: DownloadError | ChecksumError }[], rerun: string): DownloadError {
  const offline = failures.every(({ error }) => error instanceof DownloadError && error.offline);
  const reasons = failures.map(({ error }) => (error instanceof DownloadError ? error.reason : error.message)).join('; ');
  const places = failures.map(({ error, file }) => (error instanceof DownloadError && error.destination ? error.destination : file)).join(', ');
  return new DownloadError(
    `could not get ${failures.length} files of ${name}: ${reasons}. ${offline ? 'Are you offline? ' : ''}To place them by hand, download them with a browser or another machine and save them as ${places}, then run ${rerun} again.`,
  );
}

/** The manifest file a load failure is about: the file it names, or the file holding the weights for a weights error. */
function fileAtFault(entry: ManifestModel, error: unknown): ManifestModel['files'][number] | undefined {
  if (error instanceof ModelFormatError) return entry.files.find((f) => f.name === basename(error.file));
  if (error instanceof ModelWeightsError) return entry.files.find((f) => f.role === 'darknet-weights') ?? entry.files.find((f) => f.role === 'checkpoint');
  return undefined;
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

  const download = async (file: ManifestFile): Promise<DownloadResult> => {
    const reporter = options.reporter?.();
    let last: DownloadProgress | null = null;
    try {
      const result = await downloadFile({
        urls: file.urls,
        destination: join(folder, file.name),
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
      log(`${file.name}: ${result.bytes} bytes from ${result.url}, sha256 ${result.sha256}`);
      return result;
    } catch (error) {
      reporter?.finish(last, false);
      throw error;
    }
  };

  // Every file is tried before anything fails, so an offline machine learns of all missing files at once.
  const failures: { file: string; error: DownloadError | ChecksumError }[] = [];
  for (const file of entry.files) {
    const destination = join(folder, file.name);
    try {
      if (existsSync(destination)) {
        await verifyFile(destination, file);
        present.push(file.name);
        log(`${file.name}: already there`);
      } else {
        downloads.push(await download(file));
      }
    } catch (error) {
      if (!(error instanceof DownloadError || error instanceof ChecksumError)) throw error;
      failures.push({ file: destination, error });
    }
  }
  if (failures.length === 1) throw failures[0].error;
  if (failures.length > 1) throw severalFailed(name, failures, rerun);

  const convertedPath = convertedManifestPath(cacheDir, name);
  let converted: WrittenModel | null = null;
  if (options.convert !== false && (downloads.length > 0 || !existsSync(convertedPath))) {
    const checkpoint = entry.files.find((f) => f.role === 'checkpoint')!.name;
    const convert = async () => writeConvertedModel(await loadManifestModel(entry, folder), folder, { baseName: name, source: { file: checkpoint, format: entry.format } });
    try {
      converted = await convert();
    } catch (error) {
      // A stored file that does not load (a download cut short where nothing said its size, a wrong file placed by
      // hand) is moved aside, never deleted, and fetched again once.
      const bad = fileAtFault(entry, error);
      if (!bad) throw error;
      const path = join(folder, bad.name);
      await rename(path, `${path}.bad`);
      log(`${bad.name} does not load (${(error as Error).message}); moved it aside to ${bad.name}.bad and downloading it again`);
      downloads.push(await download(bad));
      try {
        converted = await convert();
      } catch (again) {
        if (fileAtFault(entry, again) !== bad) throw again;
        await rename(path, `${path}.bad`);
        throw new WeightsCacheError(
          `${bad.name} does not load, also after downloading it again (${(again as Error).message}); it was moved aside to ${path}.bad. ` +
            `${bad.urls[0]} does not serve what ${manifest.file} describes: save the right file as ${path} and run ${rerun} again`,
        );
      }
    }
  }
  return { entry, cacheDir, cacheReason: reason, folder, downloads, present, converted, convertedPath: existsSync(convertedPath) ? convertedPath : null };
}
