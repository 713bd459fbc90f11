/**
 * Files that one model file names (a tfjs model.json's shards, a converted manifest's .bin files) must lie inside that
 * model's own folder, or among the files dropped with it: a manifest must never make a loader open, fetch or reveal
 * anything else. One rule for Node, dropped files and URLs. No Node imports: the page uses it too.
 */
import { ModelFormatError } from './format-error.ts';

/**
 * A path a manifest gives for one of its files, checked: a relative path of plain segments (no `..`, no `.`, no empty
 * segment, no absolute path, drive, URL, backslash, percent escape, query or control character). Returns it unchanged.
 */
export function checkReferencedPath(path: unknown, manifest: string, what: string): string {
  const refuse = (why: string): never => {
    throw new ModelFormatError(manifest, `${what} ${JSON.stringify(path)} ${why}: files a manifest names must lie in its own folder`);
  };
  if (typeof path !== 'string') return refuse('is not a string');
  if (path.length === 0 || path.length > 1024) return refuse('is not a file name');
  // Control characters, backslashes (Windows separators), '%' (a URL would decode %2e%2e to ..), '?' and '#'.
  if (/[\u0000-\u001f\u007f\\%?#]/.test(path)) return refuse('contains characters a file name beside it does not need');
  if (path.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(path)) return refuse('is absolute');
  for (const segment of path.split('/')) {
    if (segment === '..') return refuse('leads out of the folder');
    if (segment === '' || segment === '.') return refuse('is not a plain relative path');
  }
  return path;
}

/** The last segment of a checked path: how it is found among dropped files, which carry no folders. */
export function referencedFileName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * The URL of a file a manifest at `manifestUrl` names, which must stay beside the manifest: same origin, inside the
 * manifest's folder.
 */
export function referencedUrl(manifestUrl: string | URL, path: unknown, manifest: string, what: string): string {
  const checked = checkReferencedPath(path, manifest, what);
  const base = new URL(manifestUrl);
  const url = new URL(checked, base);
  const folder = base.pathname.slice(0, base.pathname.lastIndexOf('/') + 1);
  if (url.origin !== base.origin || !url.pathname.startsWith(folder)) {
    throw new ModelFormatError(manifest, `${what} ${JSON.stringify(checked)} resolves to ${url.href}, outside ${base.origin}${folder}`);
  }
  return url.href;
}
