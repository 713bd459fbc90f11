/**
 * The command line given bad input (issue 13, item 5 and the HDF5 case of item 10): every user error is one line on
 * stderr with exit code 1, found before any work is done; no stack. A small seeded model, no shared data needed.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomModel } from '../src/graph/random-model.ts';
import { darknetLikeArchitecture } from './helpers/nets.ts';
import { writeDarknet } from './helpers/writers.ts';

const run = promisify(execFile);
const cli = new URL('../bin/fixations.js', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'fixations-cli-errors-'));
const cfg = join(scratch, 'net.cfg');
const photo = join(scratch, 'photo.png');

async function fixations(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { cwd: scratch });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Exit code 1, one line on stderr matching `message`, and nothing done (no output on stdout). */
async function expectOneLine(args: string[], message: RegExp): Promise<void> {
  const result = await fixations(...args);
  expect(result.stderr.trimEnd().split('\n'), result.stderr).toHaveLength(1);
  expect(result.stderr).toMatch(/^error: /);
  expect(result.stderr).toMatch(message);
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
}

beforeAll(async () => {
  const { cfg: text, weights } = writeDarknet(randomModel(darknetLikeArchitecture(6, 5), 81));
  writeFileSync(cfg, text);
  writeFileSync(join(scratch, 'net.weights'), weights);
  await sharp({ create: { width: 20, height: 16, channels: 3, background: '#808080' } }).png().toFile(photo);
  mkdirSync(join(scratch, 'a-folder'));
  writeFileSync(join(scratch, 'a-file'), 'x');
});

describe('one line, exit code 1, before any work', () => {
  it('--shard 5/4 and --shard 0/0', async () => {
    await expectOneLine(['explain', photo, '--model', cfg, '--out', join(scratch, 'o'), '--shard', '5/4'], /--shard 5\/4: expected i\/n with 1 ≤ i ≤ n/);
    await expectOneLine(['explain', photo, '--model', cfg, '--out', join(scratch, 'o'), '--shard', '0/0'], /--shard 0\/0: expected i\/n/);
  });

  it('--json that is a folder, or in a folder that does not exist', async () => {
    await expectOneLine(['explain', photo, '--model', cfg, '--json', join(scratch, 'a-folder')], /--json .*a-folder is a folder; give a file name/);
    await expectOneLine(['explain', photo, '--model', cfg, '--json', join(scratch, 'missing', 'x.json')], /--json .*x\.json: the folder .*missing does not exist/);
    await expectOneLine(['classify', photo, '--model', cfg, '--json', join(scratch, 'a-folder')], /--json .*a-folder is a folder/);
    await expectOneLine(['classify', photo, '--model', cfg, '--json', join(scratch, 'a-file', 'x.json')], /a-file is a file, not a folder/);
  });

  it('--out that is a file, or lies under one', async () => {
    await expectOneLine(['explain', photo, '--model', cfg, '--out', join(scratch, 'a-file')], /--out .*a-file is a file, not a folder/);
    await expectOneLine(['explain', photo, '--model', cfg, '--out', join(scratch, 'a-file', 'sub')], /--out .*sub cannot be used as an output folder: a part of that path is a file/);
  });

  it('an HDF5 file with a valid signature and garbage inside: no HDF5-DIAG lines', async () => {
    const garbage = new Uint8Array(4096).map((_, i) => (i * 37) & 255);
    garbage.set([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
    writeFileSync(join(scratch, 'garbage.h5'), garbage);
    await expectOneLine(['classify', photo, '--model', join(scratch, 'garbage.h5')], /garbage\.h5: cannot be read as HDF5 \(.*\): truncated or corrupt$/m);
  });

  it('a tfjs model.json whose shard path leads outside its folder', async () => {
    mkdirSync(join(scratch, 'tfjs'));
    const json = { format: 'layers-model', modelTopology: {}, weightsManifest: [{ paths: ['../../../../../../etc/passwd'], weights: [] }] };
    writeFileSync(join(scratch, 'tfjs', 'model.json'), JSON.stringify(json));
    await expectOneLine(['classify', photo, '--model', join(scratch, 'tfjs', 'model.json')], /model\.json: weightsManifest\[0\]\.paths\[0\] ".*etc\/passwd" leads out of the folder/);
  });
});
