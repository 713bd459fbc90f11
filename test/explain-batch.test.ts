import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { explainBatch, type BatchOptions } from '../src/cli/explain-batch.ts';
import { expandInputs, outputNames, parseShard, takeShard } from '../src/cli/inputs.ts';
import { defaultMapSettings } from '../src/postprocess/settings.ts';
import { describeWithSharedData } from './helpers/shared-data.ts';

describeWithSharedData('explain --out over a folder', 'tiny-vgg', (dir) => {
  const folder = mkdtempSync(join(tmpdir(), 'fixations-batch-in-'));
  const good = readdirSync(`${dir}/images`).sort().slice(0, 3);
  for (const name of good) copyFileSync(`${dir}/images/${name}`, join(folder, name));
  writeFileSync(join(folder, 'broken.jpg'), readFileSync(`${dir}/images/${good[0]}`).subarray(0, 200));
  writeFileSync(join(folder, 'notes.txt'), 'not a photo');
  const out = mkdtempSync(join(tmpdir(), 'fixations-batch-out-'));
  const options: BatchOptions = {
    model: `${dir}/model.json`,
    out,
    rule: 'hysm',
    settings: defaultMapSettings,
    colormap: 'inferno',
    force: false,
    timings: true,
  };

  it('finishes past a corrupt JPEG and a text file, writes the good outputs and reports the bad ones', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line: string) => void lines.push(line));
    const summary = await explainBatch([folder], options).finally(() => spy.mockRestore());
    // Each photo's progress line says what it came to: its class, probability and fixation count.
    for (const result of summary.results) {
      const line = lines.find((l) => l.includes(result.file));
      expect(line).toContain(`${result.target.label} ${(result.target.probability * 100).toFixed(1)} %, ${result.fixations} fixation`);
    }
    expect(lines.find((l) => l.includes('notes.txt'))).toMatch(/failed: .*not an image/);
    expect(summary.done).toHaveLength(3);
    expect(summary.failed.map((f) => f.file.split('/').pop()).sort()).toEqual(['broken.jpg', 'notes.txt']);
    expect(summary.failed.find((f) => f.file.endsWith('notes.txt'))!.error).toMatch(/not an image that can be decoded/);
    for (const name of good) {
      const base = name; // outputs keep the photo's extension: dog.jpeg and dog.png are different photos
      for (const kind of ['fixations', 'heatmap', 'saliency', 'box', 'coarse']) expect(existsSync(join(out, `${base}.${kind}.png`)), `${base} ${kind}`).toBe(true);
      const json = JSON.parse(readFileSync(join(out, `${base}.json`), 'utf8'));
      expect(json.maps.settings).toEqual(defaultMapSettings);
      expect(json.preprocess.resizeFilter).toBe('bilinear-centres');
      expect(json.maps.threshold).toBeGreaterThan(0);
      expect(json.fixations.length).toBeGreaterThan(0);
      expect(json.maps.keptFixations + json.maps.removedFixations).toBe(json.fixationsInImage.length);
    }
    const written = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(written).toMatchObject({ total: 5, model: 'tiny-vgg', preprocess: { resize: 'cnn-explainer', resizeFilter: 'bilinear-centres' } });
    expect(written.results).toHaveLength(3);
    expect(written.results[0]).toMatchObject({ file: summary.done[0], target: { label: expect.any(String) }, fixations: expect.any(Number) });
    expect(written.failed).toHaveLength(2);
  });

  it('resumes: photos whose JSON exists are skipped, the rest are done', async () => {
    const base = good[1];
    const kept = statSync(join(out, `${good[0]}.json`)).mtimeMs;
    writeFileSync(join(out, `${base}.json.part`), 'interrupted');
    rmSync(join(out, `${base}.json`));
    const summary = await explainBatch([folder], options);
    expect(summary.done.map((f) => f.split('/').pop())).toEqual([good[1]]);
    expect(summary.skipped).toHaveLength(2);
    expect(statSync(join(out, `${good[0]}.json`)).mtimeMs).toBe(kept);
  });
});

it('shards split a list without overlap and names stay unique', async () => {
  const items = Array.from({ length: 10 }, (_, i) => i);
  const shards = [1, 2, 3].map((i) => takeShard(items, parseShard(`${i}/3`)));
  expect(shards.flat().sort((a, b) => a - b)).toEqual(items);
  expect(shards[0]).toEqual([0, 3, 6, 9]);
  expect(() => parseShard('0/3')).toThrow(/1 ≤ i ≤ n/);
  expect(() => parseShard('4/3')).toThrow(/1 ≤ i ≤ n/);
  expect(outputNames(['a/dog.jpg', 'b/dog.png', 'c/cat.jpg', 'd/dog'])).toEqual(['dog.jpg', 'dog.png', 'cat.jpg', 'dog']);
  const folder = mkdtempSync(join(tmpdir(), 'fixations-inputs-'));
  writeFileSync(join(folder, 'b.jpg'), '');
  writeFileSync(join(folder, 'a.jpg'), '');
  writeFileSync(join(folder, '.hidden'), '');
  expect(await expandInputs([folder, join(folder, 'a.jpg')])).toEqual([join(folder, 'a.jpg'), join(folder, 'b.jpg')]);
});
