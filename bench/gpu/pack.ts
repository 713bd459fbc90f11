/**
 * `npm run bench:gpu-pack [-- --out out/gpu-bundle]`: the folder that `bench/gpu/run-on-device.sh` runs on a bare
 * x86-64 Linux machine with an NVIDIA driver and no registry access. Writes, under `--out`:
 * - `run-on-device.sh` (a copy of bench/gpu/run-on-device.sh) and `payload.tar.xz`, which unpacks to `fixations-gpu/`:
 *   - `app/bench.mjs`, `app/node-peer-process.mjs`, `app/fixations.mjs`: the benchmark, its peer child process and the
 *     CLI, each one esbuild bundle (tfjs, commander and the rest inside), with the WGSL files beside them in the
 *     repository's layout (`shaders/`, `src/ops/<op>/`), and `app/node_modules/` holding only what cannot be bundled:
 *     `webgpu` (dawn.node for linux-x64), `sharp` (libvips, for Tiny Darknet's JPEG), and `onnxruntime-web`'s files
 *     that Node loads (its webgpu and wasm bundles and their .wasm); tfjs-backend-wasm's .wasm in `app/tfjs-wasm/`;
 *   - `node/bin/node`: the nodejs package installed here (Debian 12's own nodejs is 18; package.json needs ≥ 20);
 *   - `vulkan/`: Debian's libvulkan1 .deb unpacked with `dpkg -x` (used only where the machine has no Vulkan loader);
 *   - `data/tiny-darknet/`: the real Tiny Darknet (cfg, weights, class names, the dog photo);
 *   - `MANIFEST.txt`: commit, versions and sizes.
 * The folder must stay under 64 MiB (what a device run may carry); the packer fails if it does not.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { build, type Plugin } from 'esbuild';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const nodeModules = join(repo, 'node_modules');
const carryLimit = 64 * 1024 * 1024;

const command = new Command('npm run bench:gpu-pack --')
  .description('Packs the benchmark, the CLI, Node, Dawn, the peers and Tiny Darknet into one folder for run-on-device.sh')
  .option('--out <dir>', 'the folder to write (git-ignored out/ by default)', 'out/gpu-bundle')
  .option('--tiny-darknet <dir>', 'Tiny Darknet folder (tiny.cfg, tiny.weights, names.txt, images/dog.jpg)', '../shared/data/tiny-darknet')
  .option('--node <file>', 'the node binary to carry', '/usr/bin/node')
  .option('--vulkan-deb <file>', 'a libvulkan1 .deb to unpack (default: apt-get download libvulkan1)')
  .option('--unpacked', 'write the unpacked fixations-gpu/ folder to --out instead (to try a change without compressing)', false);
command.parse(process.argv.slice(3), { from: 'user' });
const options = command.opts<{ out: string; tinyDarknet: string; node: string; vulkanDeb?: string; unpacked: boolean }>();

class PackError extends Error {}

function fail(message: string): never {
  throw new PackError(message);
}

const out = resolve(options.out);
const staging = mkdtempSync(join(tmpdir(), 'fixations-gpu-pack-'));
const root = join(staging, 'fixations-gpu');
const app = join(root, 'app');

const version = (name: string) => JSON.parse(readFileSync(join(nodeModules, name, 'package.json'), 'utf8')).version as string;

/**
 * Every module's `import.meta.url` as the URL of its own source path under `app/` (the bundle's folder), so what the
 * code finds relative to itself (shaders/, src/ops/<op>/*.wgsl, node_modules/, package.json) is where the packer puts
 * it: the repository's layout, rooted at `app/`.
 */
const sourceUrls: Plugin = {
  name: 'source-urls',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes(`${join(repo, 'node_modules')}`)) return undefined;
      const source = readFileSync(args.path, 'utf8');
      const path = relative(repo, args.path).split('\\').join('/');
      return { contents: source.replaceAll('import.meta.url', `__fixationsSourceUrl(${JSON.stringify(path)})`), loader: 'ts' };
    });
  },
};

const versions = Object.fromEntries(
  ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-wasm'].map((name) => [name, version(name)]),
);

/** ESM output needs `require` for bundled CommonJS, and the bundle's facts for bench/bundle-info.ts. */
const banner = [
  `import { createRequire as __createRequire } from 'node:module';`,
  `import { fileURLToPath as __fileURLToPath } from 'node:url';`,
  `const require = __createRequire(import.meta.url);`,
  // Bundled CommonJS (tfjs-backend-wasm's emscripten glue) reads these.
  `const __filename = __fileURLToPath(import.meta.url);`,
  `const __dirname = __fileURLToPath(new URL('.', import.meta.url));`,
  `const __fixationsSourceUrl = (path) => new URL(path, import.meta.url).href;`,
  `globalThis.__fixationsBundle = { peerChild: __fileURLToPath(new URL('./node-peer-process.mjs', import.meta.url)), tfjsWasmDir: __fileURLToPath(new URL('./tfjs-wasm', import.meta.url)), versions: ${JSON.stringify(versions)} };`,
].join('\n');

async function bundle(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [join(repo, entry)],
    outfile: join(app, outfile),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    banner: { js: banner },
    // Native or self-locating: carried as packages. puppeteer-core and vite serve the browser runner, not carried.
    external: ['webgpu', 'sharp', 'onnxruntime-web', 'onnxruntime-web/*', 'puppeteer-core', 'vite', 'tsx', 'tsx/*'],
    plugins: [sourceUrls],
  });
}

function copy(from: string, to: string): void {
  if (!existsSync(from)) fail(`${from} not found`);
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true, dereference: true });
}

/** Files under `dir` whose names end in `ext`, relative to it. */
function filesUnder(dir: string, ext: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(ext));
}

function du(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((sum, f) => sum + du(join(path, f)), 0);
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

try {
  console.log('bundling bench/run.ts, bench/peers/node-peer-process.ts and src/cli/main.ts (esbuild)');
  await bundle('bench/run.ts', 'bench.mjs');
  await bundle('bench/peers/node-peer-process.ts', 'node-peer-process.mjs');
  await bundle('src/cli/main.ts', 'fixations.mjs');

  console.log('copying shaders, packages and data');
  for (const f of filesUnder(join(repo, 'shaders'), '.wgsl')) copy(join(repo, 'shaders', f), join(app, 'shaders', f));
  for (const f of filesUnder(join(repo, 'src/ops'), '.wgsl')) copy(join(repo, 'src/ops', f), join(app, 'src/ops', f));
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: pkg.name, version: pkg.version, type: 'module', private: true }, null, 2)}\n`);

  for (const f of ['package.json', 'index.js', 'dist/linux-x64/dawn.node']) copy(join(nodeModules, 'webgpu', f), join(app, 'node_modules/webgpu', f));
  for (const f of ['package.json', 'lib', 'dist']) copy(join(nodeModules, 'sharp', f), join(app, 'node_modules/sharp', f));
  for (const name of ['@img/colour', 'detect-libc', 'semver', '@img/sharp-linux-x64', '@img/sharp-libvips-linux-x64']) copy(join(nodeModules, name), join(app, 'node_modules', name));
  // What Node loads: `onnxruntime-web` (ort.node.min.mjs, the wasm build, which imports onnxruntime-common) and
  // `onnxruntime-web/webgpu` (its bundle with the asyncify build); nothing else of its 136 MiB dist.
  copy(join(nodeModules, 'onnxruntime-common/package.json'), join(app, 'node_modules/onnxruntime-common/package.json'));
  copy(join(nodeModules, 'onnxruntime-common/dist/esm'), join(app, 'node_modules/onnxruntime-common/dist/esm'));
  for (const f of ['package.json', ...['ort.node.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm', 'ort.webgpu.bundle.min.mjs', 'ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'].map((f) => `dist/${f}`)]) {
    copy(join(nodeModules, 'onnxruntime-web', f), join(app, 'node_modules/onnxruntime-web', f));
  }
  for (const f of filesUnder(join(nodeModules, '@tensorflow/tfjs-backend-wasm/dist'), '.wasm')) copy(join(nodeModules, '@tensorflow/tfjs-backend-wasm/dist', f), join(app, 'tfjs-wasm', f));

  copy(options.node, join(root, 'node/bin/node'));
  const nodeVersion = execFileSync(options.node, ['--version'], { encoding: 'utf8' }).trim();

  let vulkanDeb = options.vulkanDeb;
  if (!vulkanDeb) {
    const downloads = join(staging, 'debs');
    mkdirSync(downloads);
    try {
      execFileSync('apt-get', ['download', 'libvulkan1'], { cwd: downloads, stdio: ['ignore', 'ignore', 'pipe'] });
      vulkanDeb = join(downloads, readdirSync(downloads).find((f) => f.endsWith('.deb'))!);
    } catch (error) {
      fail(`apt-get download libvulkan1 failed (${(error as Error).message.split('\n')[0]}); give a .deb with --vulkan-deb`);
    }
  }
  execFileSync('dpkg', ['-x', vulkanDeb, join(root, 'vulkan')]);

  const tiny = resolve(options.tinyDarknet);
  if (!existsSync(join(tiny, 'tiny.weights'))) fail(`${tiny}/tiny.weights not found: give the Tiny Darknet folder with --tiny-darknet`);
  for (const f of ['tiny.cfg', 'tiny.weights', 'names.txt', 'images/dog.jpg', 'COPYRIGHT-darknet-debian']) {
    if (existsSync(join(tiny, f))) copy(join(tiny, f), join(root, 'data/tiny-darknet', f));
  }

  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  const manifest = [
    `webgpu-fixations device bundle, commit ${commit}, packed ${new Date().toISOString()}`,
    `node ${nodeVersion} (${options.node}), webgpu ${version('webgpu')}, onnxruntime-web ${version('onnxruntime-web')}, sharp ${version('sharp')}`,
    ...Object.entries(versions).map(([name, v]) => `${name} ${v} (bundled)`),
    `libvulkan1: ${vulkanDeb.split('/').pop()}`,
    '',
    ...['app', 'node', 'vulkan', 'data'].map((d) => `${d}/: ${mib(du(join(root, d)))} unpacked`),
  ];
  writeFileSync(join(root, 'MANIFEST.txt'), `${manifest.join('\n')}\n`);

  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  if (options.unpacked) {
    cpSync(root, join(out, 'fixations-gpu'), { recursive: true });
    console.log(`wrote ${join(out, 'fixations-gpu')} (unpacked, ${mib(du(root))})`);
  } else {
    console.log('compressing (xz)');
    execFileSync('tar', ['-C', staging, '-cf', join(out, 'payload.tar.xz'), '--use-compress-program=xz -6 -T0', 'fixations-gpu']);
    copyFileSync(join(repo, 'bench/gpu/run-on-device.sh'), join(out, 'run-on-device.sh'));
    copyFileSync(join(root, 'MANIFEST.txt'), join(out, 'MANIFEST.txt'));
    const total = du(out);
    console.log(`${manifest.join('\n')}\n\nwrote ${out}: ${mib(total)} (payload.tar.xz ${mib(du(join(out, 'payload.tar.xz')))}, unpacked ${mib(du(root))})`);
    if (total > carryLimit) fail(`${out} is ${mib(total)}, over the ${mib(carryLimit)} a device run may carry`);
  }
} catch (error) {
  console.error(`bench:gpu-pack: ${error instanceof PackError ? error.message : ((error as Error).stack ?? error)}`);
  process.exitCode = 1;
} finally {
  rmSync(staging, { recursive: true, force: true });
}
