/**
 * What the device bundle (bench/gpu/pack.ts: the benchmark and the CLI as single .mjs files) tells the code inside
 * it, through a global its banner sets; null when running from the source tree.
 */
export interface BundleInfo {
  /** The bundled peer child process (bench/peers/node-peer-process.ts), run with plain node. */
  peerChild: string;
  /** Folder holding tfjs-backend-wasm's .wasm files (tfjs is bundled; its wasm files are not). */
  tfjsWasmDir: string;
  /** Versions of the packages bundled in (their package.json files are not carried). */
  versions: Record<string, string>;
}

export function bundleInfo(): BundleInfo | null {
  return (globalThis as { __fixationsBundle?: BundleInfo }).__fixationsBundle ?? null;
}
