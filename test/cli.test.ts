import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { describeWithSharedData } from './helpers/shared-data.ts';

const run = promisify(execFile);
const cli = new URL('../bin/fixations.js', import.meta.url).pathname;

async function fixations(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describeWithSharedData('the fixations command', 'tiny-darknet', (dir) => {
  const cfg = `${dir}/tiny.cfg`;
  const dog = `${dir}/images/dog.jpg`;
  const scratch = mkdtempSync(join(tmpdir(), 'fixations-cli-'));

  it('classify prints the top-5 with labels and probabilities, and --json writes them', async () => {
    const json = join(scratch, 'classify.json');
    const { code, stdout } = await fixations('classify', dog, '--model', cfg, '--json', json);
    expect(code).toBe(0);
    expect(stdout).toMatch(/1\.\s+\d+\.\d+%\s+\S+/);
    expect(stdout).toMatch(/preprocessing: letterboxed onto 224×224 \(fill 0\.5\), bilinear, corners aligned, no antialiasing \(darknet resize_image\)/);
    const written = JSON.parse(readFileSync(json, 'utf8'));
    expect(written.preprocess).toMatchObject({ resize: 'letterbox', resizeFilter: 'bilinear' });
    expect(written.results[0].predictions).toHaveLength(5);
    expect(written.results[0].predictions[0]).toMatchObject({ classIndex: expect.any(Number), label: expect.any(String) });
  });

  it('explain writes the same JSON bytes on two runs, with the tree, per-layer counts and sorted fixations', async () => {
    const paths = [join(scratch, 'a.json'), join(scratch, 'b.json')];
    for (const path of paths) {
      const { code, stdout } = await fixations('explain', dog, '--model', cfg, '--top-k', '2', '--json', path, '--no-timings');
      expect(code).toBe(0);
      expect(stdout).toMatch(/fixations in the model input/);
    }
    const [a, b] = paths.map((p) => readFileSync(p));
    expect(a.equals(b)).toBe(true);
    const json = JSON.parse(a.toString());
    expect(json.explanations).toHaveLength(2);
    const first = json.explanations[0];
    expect(first.layers[0]).toMatchObject({ name: 'softmax', count: 1 });
    expect(first.layers.at(-1).name).toBe('input');
    const points: [number, number][] = first.fixations;
    expect(points.length).toBeGreaterThan(0);
    expect(points).toEqual([...points].sort((p, q) => p[1] - q[1] || p[0] - q[0]));
    expect(first.timings).toBeUndefined();
  });

  it('explain --class and --rule official, --resize-filter', async () => {
    const json = join(scratch, 'c.json');
    const { code, stdout } = await fixations('explain', dog, '--model', cfg, '--class', '14', '--rule', 'official', '--resize-filter', 'nearest', '--json', json);
    expect(code).toBe(0);
    expect(stdout).toMatch(/\b1 fixation in the model input/);
    const written = JSON.parse(readFileSync(json, 'utf8'));
    expect(written.preprocess).toMatchObject({ resize: 'letterbox', resizeFilter: 'nearest' });
    expect(written).toMatchObject({ rule: 'official', target: { classIndex: 14, label: 'malamute' } });
    expect(written.fixations).toHaveLength(1);
    expect(written.timings.backtrackMs).toBeGreaterThan(0);
  });

  it('--version prints the package version', async () => {
    const { code, stdout } = await fixations('--version');
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
  });

  it('says clearly what is wrong with a bad image, a truncated weights file, an unknown model and a bad class', async () => {
    const text = join(scratch, 'notes.jpg');
    writeFileSync(text, 'this is not a photo');
    let result = await fixations('explain', text, '--model', cfg);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: notes\.jpg is not an image that can be decoded/);

    copyFileSync(cfg, join(scratch, 'tiny.cfg'));
    writeFileSync(join(scratch, 'tiny.weights'), readFileSync(`${dir}/tiny.weights`).subarray(0, 1_000_000));
    result = await fixations('classify', dog, '--model', join(scratch, 'tiny.cfg'));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: tiny\.weights: ends at byte 1000000 .* truncated/);

    result = await fixations('classify', dog, '--model', text);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/is not a model this tool reads/);

    result = await fixations('explain', dog, '--model', cfg, '--class', '1000');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/class 1000 is not one of the model's 1000 classes/);
  });
});
