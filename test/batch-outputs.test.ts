/**
 * explain --out as a careless user runs it (issue 13, items 6–8): photos that share a stem, a photo named like the
 * run's summary, a resume with other settings, and a forced rewrite that is interrupted. A small seeded model and
 * generated photos; no shared data needed.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { explainBatch, type BatchOptions } from '../src/cli/explain-batch.ts';
import { outputNames } from '../src/cli/inputs.ts';
import { UsageError } from '../src/cli/output-paths.ts';
import { randomModel, seededRandom } from '../src/graph/random-model.ts';
import { defaultMapSettings } from '../src/postprocess/settings.ts';
import { darknetLikeArchitecture } from './helpers/nets.ts';
import { writeDarknet } from './helpers/writers.ts';

const scratch = mkdtempSync(join(tmpdir(), 'fixations-batch-outputs-'));
const cfg = join(scratch, 'net.cfg');

async function photo(seed: number, format: 'png' | 'jpeg'): Promise<Buffer> {
  const random = seededRandom(seed);
  const pixels = Buffer.from(Uint8Array.from({ length: 24 * 20 * 3 }, () => Math.floor(random() * 256)));
  const image = sharp(pixels, { raw: { width: 24, height: 20, channels: 3 } });
  return format === 'png' ? image.png().toBuffer() : image.jpeg().toBuffer();
}

/** A folder of photos by name; `.jpeg`/`.jpg` names get JPEGs, the rest PNGs. */
async function photoFolder(names: string[]): Promise<string> {
  const folder = mkdtempSync(join(scratch, 'in-'));
  for (const [i, name] of names.entries()) writeFileSync(join(folder, name), await photo(i + 1, /\.jpe?g$/.test(name) ? 'jpeg' : 'png'));
  return folder;
}

function options(out: string, extra: Partial<BatchOptions> = {}): BatchOptions {
  return { model: cfg, out, rule: 'hysm', settings: defaultMapSettings, colormap: 'inferno', force: false, timings: false, ...extra };
}

const outputs = (base: string) => ['json', 'fixations.png', 'heatmap.png', 'saliency.png', 'box.png', 'coarse.png'].map((kind) => `${base}.${kind}`);

beforeAll(() => {
  const { cfg: text, weights } = writeDarknet(randomModel(darknetLikeArchitecture(6, 5), 71));
  writeFileSync(cfg, text);
  writeFileSync(join(scratch, 'net.weights'), weights);
});

describe('output names (item 6)', () => {
  it('dog.jpeg, dog.png and summary.jpg in one folder each get their own outputs, and summary.json stays the run\'s', async () => {
    const folder = await photoFolder(['dog.jpeg', 'dog.png', 'summary.jpg']);
    const out = join(scratch, 'names-out');
    const summary = await explainBatch([folder], options(out));
    expect(summary.done).toHaveLength(3);
    for (const base of ['dog.jpeg', 'dog.png', 'summary.jpg']) {
      for (const name of outputs(base)) expect(existsSync(join(out, name)), name).toBe(true);
      expect(JSON.parse(readFileSync(join(out, `${base}.json`), 'utf8')).image.file).toBe(join(folder, base));
    }
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toMatchObject({ total: 3, done: expect.any(Array) });
  });

  it('a photo added later is explained, not counted as done under another photo\'s name', async () => {
    const folder = await photoFolder(['dog.png']);
    const out = join(scratch, 'later-out');
    await explainBatch([folder], options(out));
    writeFileSync(join(folder, 'dog.jpeg'), await photo(9, 'jpeg'));
    const second = await explainBatch([folder], options(out));
    expect(second.done.map((f) => f.split('/').pop())).toEqual(['dog.jpeg']);
    expect(second.skipped.map((f) => f.split('/').pop())).toEqual(['dog.png']);
  });

  it('numbers only real clashes, with numbers no other input uses, and never a run file\'s name', () => {
    expect(outputNames(['a/dog.jpg', 'b/dog.jpg', 'c/dog-2.jpg'])).toEqual(['dog.jpg', 'dog-3.jpg', 'dog-2.jpg']);
    expect(outputNames(['x/summary', 'y/summary-1-of-2', 'z/summary.json'])).toEqual(['summary-2', 'summary-1-of-2-2', 'summary.json']);
    expect(outputNames(['dog.jpeg', './dog.jpeg'].map((f) => join('p', f)))).toEqual(['dog.jpeg', 'dog-2.jpeg']);
  });
});

describe('resume (item 7)', () => {
  it('keeps only outputs made with the same settings; others stop the run before any work, saying what differs', async () => {
    const folder = await photoFolder(['a.png', 'b.png']);
    const out = join(scratch, 'resume-out');
    await explainBatch([folder], options(out));
    const before = readFileSync(join(out, 'a.png.json'), 'utf8');
    expect(JSON.parse(before).run).toMatchObject({ rule: 'hysm', target: 'top-1', settings: defaultMapSettings, colormap: 'inferno' });

    const other = explainBatch([folder], options(out, { rule: 'official', class: 3 }));
    await expect(other).rejects.toThrow(UsageError);
    await expect(explainBatch([folder], options(out, { rule: 'official', class: 3 }))).rejects.toThrow(
      /already holds outputs of 2 of these photos made with other settings \(a\.png\.json: rule hysm, here official; target top-1, here 3\): pass --force/,
    );
    await expect(explainBatch([folder], options(out, { settings: { ...defaultMapSettings, sigma: 5 } }))).rejects.toThrow(/settings \{.*"sigma":20.*\}, here \{.*"sigma":5/);
    expect(readFileSync(join(out, 'a.png.json'), 'utf8')).toBe(before);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).rule).toBe('hysm');

    const same = await explainBatch([folder], options(out));
    expect(same.skipped).toHaveLength(2);
    const forced = await explainBatch([folder], options(out, { rule: 'official', class: 3, force: true }));
    expect(forced.done).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(out, 'b.png.json'), 'utf8'))).toMatchObject({ rule: 'official', target: { classIndex: 3 }, run: { rule: 'official', target: 3 } });
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toMatchObject({ rule: 'official', target: 3 });
  });

  it('a JSON that cannot be read (damaged by hand) is redone, not kept', async () => {
    const folder = await photoFolder(['c.png']);
    const out = join(scratch, 'damaged-out');
    await explainBatch([folder], options(out));
    writeFileSync(join(out, 'c.png.json'), '{"image": ');
    const again = await explainBatch([folder], options(out));
    expect(again.done).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(out, 'c.png.json'), 'utf8')).run.rule).toBe('hysm');
  });
});

describe('interrupted rewrites (item 8)', () => {
  it('a --force rewrite that fails half-way leaves no JSON beside pictures it does not describe, and resume redoes it', async () => {
    const folder = await photoFolder(['p.png']);
    const out = join(scratch, 'rewrite-out');
    await explainBatch([folder], options(out));
    const oldHeatmap = readFileSync(join(out, 'p.png.heatmap.png'));
    // The box picture cannot be replaced (a folder is in its way): the rewrite fails after the heatmap is done.
    rmSync(join(out, 'p.png.box.png'));
    mkdirSync(join(out, 'p.png.box.png'));
    writeFileSync(join(out, 'p.png.box.png', 'keep'), '');
    const failed = await explainBatch([folder], options(out, { colormap: 'viridis', force: true }));
    expect(failed.failed).toHaveLength(1);
    const jsonLeft = existsSync(join(out, 'p.png.json'));
    const heatmapNow = readFileSync(join(out, 'p.png.heatmap.png'));
    // Either the old set, whole (the JSON and the old heatmap), or no JSON at all: never the old JSON over new pictures.
    expect(jsonLeft && !heatmapNow.equals(oldHeatmap)).toBe(false);
    expect(readdirSync(out).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    for (const name of readdirSync(out).filter((n) => n.endsWith('.png') && n !== 'p.png.box.png')) {
      expect((await sharp(readFileSync(join(out, name))).metadata()).format, name).toBe('png');
    }

    rmSync(join(out, 'p.png.box.png'), { recursive: true });
    const resumed = await explainBatch([folder], options(out, { colormap: 'viridis' }));
    expect(resumed.done).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(out, 'p.png.json'), 'utf8')).run.colormap).toBe('viridis');
  });
});
