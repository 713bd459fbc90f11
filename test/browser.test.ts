/**
 * The demo page (index.html, built by Vite) in headless Chromium, WebGPU on SwiftShader: it must give the same
 * predictions and fixations as Node's Explainer for the same PNG, draw the fixation tree in the 3D explorer, and say
 * what went wrong when there is no adapter or the weights are corrupt. Screenshots go to test/artifacts/.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser, ElementHandle, Page } from 'puppeteer-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rule } from '../src/ops/common/rules.ts';
import { Explainer, type Explanation } from '../src/explain/explain.ts';
import { decodeImageFile } from '../src/image/decode-node.ts';
import { loadModelFile } from '../src/weights/load-model-node.ts';
import { areaUnderCurve, blurChw, perturbedInputs, pixelOrder } from '../src/postprocess/faithfulness-metrics.ts';
import { layerMapToMethodMap, seedOf } from '../src/explain/methods.ts';
import { probabilities } from '../src/explain/predictions.ts';
import { endsInSoftmax } from '../src/explain/classify.ts';
import { inputTensor } from '../src/graph/model.ts';
import type { PublishedResult } from '../src/web/test-hooks.ts';
import { chromiumPath, hasChromium, launchChromium } from './helpers/chromium.ts';
import { testGpu } from './helpers/gpu.ts';
import { describeWithSharedData, sharedDataRoot } from './helpers/shared-data.ts';
import { serveFolders, type StaticServer } from './helpers/static-server.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const artifacts = join(repo, 'test', 'artifacts');
const run = promisify(execFile);

/** Opens the demo; console errors and uncaught exceptions are collected for failure messages. */
async function openDemo(browser: Browser, url: string, setup?: (page: Page) => Promise<unknown>): Promise<{ page: Page; log: string[] }> {
  const page = await browser.newPage();
  const log: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warn') log.push(`console.${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => log.push(`page error: ${(error as Error).message}`));
  await page.setViewport({ width: 1440, height: 960 });
  await setup?.(page);
  await page.goto(url);
  return { page, log };
}

async function bannerText(page: Page): Promise<string | null> {
  return page.$eval('[data-testid=error-banner]', (banner) => ((banner as HTMLElement).hidden ? null : banner.textContent));
}

/** Waits until the error banner shows, and returns its kind and message. */
async function waitForError(page: Page): Promise<{ kind: string; message: string }> {
  await page.waitForSelector('[data-testid=error-banner]:not([hidden])', { timeout: 120_000 });
  return page.$eval('[data-testid=error-banner]', (banner) => ({
    kind: (banner as HTMLElement).dataset.kind ?? '',
    message: banner.querySelector('[data-testid=error-message]')?.textContent ?? '',
  }));
}

async function waitForModel(page: Page, log: string[]): Promise<void> {
  await page.waitForFunction(
    () => document.querySelector<HTMLElement>('[data-testid=model-status]')?.dataset.model || !document.querySelector<HTMLElement>('[data-testid=error-banner]')!.hidden,
    { timeout: 180_000 },
  );
  const error = await bannerText(page);
  if (error) throw new Error(`the page could not load the model: ${error}\n${log.join('\n')}`);
}

/** The next result the page publishes that satisfies `ready` (see src/web/test-hooks.ts). */
async function waitForResult(page: Page, log: string[], ready: string): Promise<PublishedResult> {
  await page.waitForFunction(`(() => { const r = window.__fixations; return r && (${ready}); })() || !document.querySelector('[data-testid=error-banner]').hidden`, {
    timeout: 180_000,
  });
  const error = await bannerText(page);
  if (error) throw new Error(`the page shows an error: ${error}\n${log.join('\n')}`);
  return (await page.evaluate(() => window.__fixations))!;
}

function expectSameExplanation(page: PublishedResult, node: Explanation, what: string): void {
  expect(page.predictions.map((p) => p.classIndex), `${what}: top-5 classes`).toEqual(node.predictions.map((p) => p.classIndex));
  page.predictions.forEach((p, i) => {
    expect(p.label).toBe(node.predictions[i].label);
    expect(Math.abs(p.probability - node.predictions[i].probability), `${what}: probability of ${p.label}`).toBeLessThan(1e-5);
  });
  expect(page.target, `${what}: target`).toBe(node.target.classIndex);
  expect(page.rule).toBe(node.rule);
  expect(page.layers, `${what}: memory vector sizes`).toEqual(node.layers.map((l) => ({ name: l.name, count: l.nodes.length })));
  expect(page.fixations, `${what}: fixations in model-input pixels`).toEqual(node.fixations);
  expect(page.fixationsInImage, `${what}: fixations in photo pixels`).toEqual(node.fixationsInImage);
}

/** Pixels of a screenshot that differ clearly from the explorer's background colour. */
async function drawnPixels(png: Uint8Array): Promise<{ drawn: number; total: number }> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const background = [0x11, 0x15, 0x1c];
  let drawn = 0;
  for (let i = 0; i < data.length; i += 3) {
    if (Math.abs(data[i] - background[0]) + Math.abs(data[i + 1] - background[1]) + Math.abs(data[i + 2] - background[2]) > 40) drawn++;
  }
  return { drawn, total: info.width * info.height };
}

if (!hasChromium()) {
  describe('the demo page in headless Chromium', () => {
    it.skip(`skipped: no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`, () => {});
  });
} else {
  describe('the demo page in headless Chromium', () => {
    let browser: Browser;
    let server: StaticServer;
    const scratch = mkdtempSync(join(tmpdir(), 'fixations-browser-'));

    beforeAll(async () => {
      await run(process.execPath, [join(repo, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], { cwd: repo });
      mkdirSync(artifacts, { recursive: true });
      server = await serveFolders({ '/': join(repo, 'dist'), '/shared-data/': sharedDataRoot, '/scratch/': scratch });
      browser = await launchChromium();
    });

    afterAll(async () => {
      await browser?.close();
      await server?.close();
      rmSync(scratch, { recursive: true, force: true });
    });

    it('says what to do when the browser has no WebGPU adapter, or no WebGPU at all', async () => {
      const { page } = await openDemo(browser, `${server.url}/`, (p) =>
        p.evaluateOnNewDocument(() => {
          GPU.prototype.requestAdapter = async () => null;
        }),
      );
      const noAdapter = await waitForError(page);
      expect(noAdapter.kind).toBe('no-webgpu');
      expect(noAdapter.message).toContain('no WebGPU adapter was found');
      expect(noAdapter.message).toContain('hardware acceleration');
      await page.screenshot({ path: join(artifacts, 'no-adapter.png') });
      await page.close();

      const { page: bare } = await openDemo(browser, `${server.url}/`, (p) =>
        p.evaluateOnNewDocument(() => {
          Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined });
        }),
      );
      const noWebGpu = await waitForError(bare);
      expect(noWebGpu.kind).toBe('no-webgpu');
      expect(noWebGpu.message).toContain('WebGPU is not available');
      await bare.close();
    });

    it('with no model anywhere, says what to do next: the command, or how to build and host the page with models', async () => {
      const { page, log } = await openDemo(browser, `${server.url}/`);
      await page.waitForSelector('[data-testid=first-run]:not([hidden])', { timeout: 60_000 });
      const text = await page.$eval('[data-testid=first-run]', (e) => e.textContent ?? '');
      expect(text).toContain('No model in weights/ yet.');
      expect(text).toContain('npx fixations weights get tiny-darknet && npm run build:weights');
      expect(text).toContain('weights/models.json');
      // A static build has no dev server to download through: no button.
      expect(await page.$('[data-testid=get-model]')).toBeNull();
      await sharp(`${sharedDataRoot}/tiny-darknet/images/dog.jpg`).png().toFile(join(scratch, 'first-run-dog.png'));
      await ((await page.$('input[data-testid=photo-input]')) as ElementHandle<HTMLInputElement>).uploadFile(join(scratch, 'first-run-dog.png'));
      await page.waitForFunction(() => /load a model to explain it: /.test(document.querySelector('[data-testid=summary]')?.textContent ?? ''), { timeout: 60_000 });
      await page.screenshot({ path: join(artifacts, 'first-run.png') });
      expect(log.filter((line) => line.includes('page error'))).toEqual([]);
      await page.close();
    });

    describeWithSharedData('with TinyVGG', 'tiny-vgg', (dir) => {
      it('takes a model and a photo dropped together, a pasted photo, the webcam live, and reports a lost device', async () => {
        const photos = ['koala_1', 'panda_2'];
        for (const name of photos) await sharp(`${dir}/images/${name}.jpeg`).png().toFile(join(scratch, `${name}.png`));
        const explainer = await Explainer.create(await testGpu(), await loadModelFile(`${dir}/model.json`));
        const expected: Explanation[] = [];
        for (const name of photos) expected.push(await explainer.explain(await decodeImageFile(join(scratch, `${name}.png`))));
        explainer.destroy();

        const { page, log } = await openDemo(browser, `${server.url}/`);
        await page.waitForFunction(() => document.body.dataset.state === 'idle', { timeout: 60_000 });
        // What a drop of files from the desktop dispatches: a DataTransfer with File objects.
        const drop = (files: [string, string, string][]) =>
          page.evaluate(async (files) => {
            const transfer = new DataTransfer();
            for (const [name, url, type] of files) transfer.items.add(new File([await (await fetch(url)).blob()], name, { type }));
            document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
          }, files);

        await drop([['notes.pdf', '/shared-data/tiny-vgg/LICENSE', 'application/pdf']]);
        const notPhoto = await waitForError(page);
        expect(notPhoto.kind).toBe('image');
        expect(notPhoto.message).toMatch(/^notes\.pdf is neither a photo nor a model file/);
        await page.click('[data-role=dismiss]');

        await drop([
          ['model.json', '/shared-data/tiny-vgg/model.json', 'application/json'],
          ['group1-shard1of1.bin', '/shared-data/tiny-vgg/group1-shard1of1.bin', ''],
          ['koala_1.png', '/scratch/koala_1.png', 'image/png'],
        ]);
        let result = await waitForResult(page, log, `r.photo === 'koala_1.png'`);
        expectSameExplanation(result, expected[0], 'TinyVGG, dropped');
        expect(result.model).toBe('tiny-vgg');

        await page.evaluate(async () => {
          const transfer = new DataTransfer();
          transfer.items.add(new File([await (await fetch('/scratch/panda_2.png')).blob()], 'panda_2.png', { type: 'image/png' }));
          window.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer }));
        });
        result = await waitForResult(page, log, `r.photo === 'panda_2.png'`);
        expectSameExplanation(result, expected[1], 'TinyVGG, pasted');

        // Live mode on Chromium's synthetic camera: frames are explained one after another until stopped.
        const forwardBefore = result.counts.forward;
        await page.click('[data-testid=webcam]');
        result = await waitForResult(page, log, `r.photo === 'webcam' && r.counts.forward >= ${forwardBefore + 2}`);
        expect(await page.$eval('[data-testid=fps]', (e) => e.textContent)).toMatch(/^\d+\.\d explanations\/s$/);
        await page.screenshot({ path: join(artifacts, 'webcam.png') });
        await page.click('[data-testid=webcam]');
        await page.waitForFunction(() => document.querySelector('[data-testid=webcam]')?.textContent === 'Webcam live', { timeout: 60_000 });
        expect(await page.$eval('#webcam-video', (video) => (video as HTMLVideoElement).srcObject)).toBeNull();
        const stopped = (await page.evaluate(() => window.__fixations))!.counts.forward;
        await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 1500)));
        expect((await page.evaluate(() => window.__fixations))!.counts.forward, 'no frames after stopping').toBe(stopped);

        await page.evaluate(() => window.__demo!.app.internals.session!.context.device.destroy());
        const lost = await waitForError(page);
        expect(lost.kind).toBe('device-lost');
        expect(lost.message).toContain('the GPU device was lost');
        expect(await page.$eval('[data-role=reload]', (button) => (button as HTMLElement).hidden)).toBe(false);
        expect(log.filter((line) => line.includes('page error'))).toEqual([]);
        await page.close();
      });
    });

    describeWithSharedData('with Tiny Darknet', 'tiny-darknet', (dir) => {
      const modelQuery = '?cfg=/shared-data/tiny-darknet/tiny.cfg&weights=/shared-data/tiny-darknet/tiny.weights&names=/shared-data/tiny-darknet/names.txt';
      /** The page of the first test, kept for the explorer test (the model is loaded and a photo explained). */
      let demo: { page: Page; log: string[] } | null = null;
      let nodeTotal = 0;
      let topClass = -1;

      it('explains a PNG exactly as Node does, with both rules and a chosen class; sliders re-run only the maps', async () => {
        const png = join(scratch, 'dog.png');
        await sharp(`${dir}/images/dog.jpg`).png().toFile(png);

        // Node's answer first, on the same PNG decoded by sharp.
        const explainer = await Explainer.create(await testGpu(), await loadModelFile(`${dir}/tiny.cfg`));
        const state = await explainer.forward(await decodeImageFile(png));
        const second = state.predictions[1].classIndex;
        const expected: Record<string, Explanation> = {};
        for (const rule of ['hysm', 'official'] as Rule[]) expected[rule] = await explainer.backtrack(state, rule);
        expected.officialSecond = await explainer.backtrack(state, 'official', second);
        explainer.destroy();
        nodeTotal = expected.hysm.layers.reduce((sum, l) => sum + l.nodes.length, 0);
        topClass = expected.hysm.target.classIndex;

        demo = await openDemo(browser, `${server.url}/${modelQuery}`);
        const { page, log } = demo;
        await waitForModel(page, log);
        expect(await page.$eval('[data-testid=gpu-info]', (e) => e.textContent)).toMatch(/maxStorageBufferBindingSize/);
        await ((await page.$('input[data-testid=photo-input]')) as ElementHandle<HTMLInputElement>).uploadFile(png);

        let result = await waitForResult(page, log, `r.photo === 'dog.png'`);
        expectSameExplanation(result, expected.hysm, 'hysm, top-1');
        expect(result.counts).toEqual({ forward: 1, backtrack: 1, maps: 1 });
        expect(await page.$$eval('[data-testid=prediction]', (rows) => rows.length)).toBe(5);
        await page.screenshot({ path: join(artifacts, 'demo.png') });

        await page.click('[data-testid=rule-official]');
        result = await waitForResult(page, log, `r.rule === 'official'`);
        expectSameExplanation(result, expected.official, 'official, top-1');

        await page.click(`[data-testid=prediction][data-class-index="${second}"]`);
        result = await waitForResult(page, log, `r.target === ${second}`);
        expectSameExplanation(result, expected.officialSecond, `official, class ${second}`);

        // Map settings re-run the attention kernels only: neither the network nor the backtracking.
        const before = result.counts;
        await page.$eval('[data-testid=sigma]', (slider) => {
          (slider as HTMLInputElement).value = '35';
          slider.dispatchEvent(new Event('input', { bubbles: true }));
        });
        result = await waitForResult(page, log, `r.serial > ${result.serial}`);
        expect(result.counts).toEqual({ forward: before.forward, backtrack: before.backtrack, maps: before.maps + 1 });
        expect(before.forward).toBe(1);
        // Shown maps are no finer than sigma/4 a pixel (upsampled for the picture): 4 · 768 / 35 → 88 px wide.
        expect(result.mapsSize).toEqual([88, 66]);
        expect(result.mapsMs, 'a slider step').toBeLessThan(1000);
        // The downloads take maps at the photo's own size.
        expect(await page.evaluate(async () => (await window.__demo!.app.internals.session!.fullMaps())?.width)).toBe(768);

        // Back to hysm and the top-1 for the explorer test: the same tree as the first time. Each step waits for its
        // result, as the predictions are redrawn with it.
        await page.$eval('[data-testid=sigma]', (slider) => {
          (slider as HTMLInputElement).value = '20';
          slider.dispatchEvent(new Event('input', { bubbles: true }));
        });
        result = await waitForResult(page, log, `r.serial > ${result.serial}`);
        await page.click('[data-testid=rule-hysm]');
        result = await waitForResult(page, log, `r.rule === 'hysm'`);
        await page.click(`[data-testid=prediction][data-class-index="${expected.hysm.target.classIndex}"]`);
        result = await waitForResult(page, log, `r.rule === 'hysm' && r.target === ${expected.hysm.target.classIndex}`);
        expectSameExplanation(result, expected.hysm, 'hysm, top-1 again');
        expect(result.counts.forward).toBe(1);
        expect(log.filter((line) => line.includes('page error'))).toEqual([]);
      });

      it('draws the fixation tree in the 3D explorer, counts its nodes, and highlights a clicked node\'s path', async () => {
        if (!demo) throw new Error('the previous test did not get the page to an explanation');
        const { page, log } = demo;
        await page.click('[data-testid=tab-explorer]');
        await page.waitForFunction(() => (window.__demo?.app.internals.explorer.explorer?.nodeCount ?? 0) > 0, { timeout: 60_000 });
        await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));

        expect(Number(await page.$eval('[data-testid=explorer-node-count]', (e) => e.textContent))).toBe(nodeTotal);
        expect(await page.evaluate(() => window.__demo!.app.internals.explorer.explorer!.nodeCount)).toBe(nodeTotal);

        const canvas = (await page.$('[data-testid=explorer-canvas]'))!;
        const { drawn, total } = await drawnPixels(await canvas.screenshot());
        expect(drawn / total, 'share of the 3D view that is not background').toBeGreaterThan(0.03);
        await page.screenshot({ path: join(artifacts, 'explorer.png') });

        // A node halfway down the tree that is not hidden behind another one at its spot on the screen.
        const target = await page.evaluate(() => {
          const view = window.__demo!.app.internals.explorer.explorer!;
          const levels = view.tree!.levels;
          const level = Math.floor(levels.length / 2);
          for (let index = 0; index < levels[level].nodes.length; index++) {
            const at = window.__demo!.nodeOnScreen(level, index);
            const picked = at && view.pick(at.x, at.y);
            if (at && picked && picked.level === level && picked.index === index) return { ...at, level, index };
          }
          return null;
        });
        expect(target, 'a node of the middle level that can be clicked').not.toBeNull();
        await page.mouse.move(target!.x, target!.y);
        await page.waitForFunction(() => /activation -?\d/.test(document.querySelector('[data-testid=explorer-tooltip]')?.textContent ?? ''), { timeout: 60_000 });
        const tooltip = await page.$eval('[data-testid=explorer-tooltip]', (e) => e.textContent ?? '');
        expect(tooltip).toMatch(/channel \d+, y \d+, x \d+/);
        await page.mouse.click(target!.x, target!.y);
        await page.waitForSelector('[data-testid=explorer-path-count]');
        const pathLength = Number(await page.$eval('[data-testid=explorer-path-count]', (e) => e.textContent));
        const selected = await page.evaluate(() => window.__demo!.app.internals.explorer.explorer!.selected);
        expect(selected?.node).toEqual({ level: target!.level, index: target!.index });
        expect(pathLength).toBeGreaterThan(0);
        expect(pathLength, 'nodes from the clicked one up to the class').toBe(target!.level + 1);
        expect(selected!.descendants).toBeGreaterThan(0);
        await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
        await page.screenshot({ path: join(artifacts, 'explorer-selected.png') });

        // Play: the first frames show only the top of the tree.
        await page.click('[data-role=play]');
        await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 900)));
        await page.screenshot({ path: join(artifacts, 'explorer-playing.png') });
        expect(await page.evaluate(() => window.__demo!.app.internals.explorer.explorer!.isPlaying)).toBe(true);
        expect(log.filter((line) => line.includes('page error'))).toEqual([]);
      });

      it('compares the fixations with Grad-CAM and CAM on one colour scale, and draws deletion curves as Node computes them', async () => {
        if (!demo) throw new Error('the previous tests did not get the page to an explanation');
        const { page, log } = demo;
        await page.click('button[data-view=explain]');
        const png = join(scratch, 'dog.png');

        const model = await loadModelFile(`${dir}/tiny.cfg`);
        const explainer = await Explainer.create(await testGpu(), model);
        const photo = await decodeImageFile(png);
        const state = await explainer.forward(photo);
        const target = state.predictions[0].classIndex;
        const gradcam = await explainer.gradcam(state, target);
        const cam = await explainer.cam(state, target);
        const original = (await explainer.gpuModel.readActivations([inputTensor])).get(inputTensor)!;
        const blurred = blurChw(original, model.input);
        const order = pixelOrder(layerMapToMethodMap('gradcam', gradcam, state.geometry, model.input, photo).input, seedOf('dog.png'));
        const [blurredScores, ...scores] = await explainer.scoreMany([blurred, ...perturbedInputs(original, blurred, model.input, order, 8, 'deletion')]);
        const nodeCurve = [state.probabilities[target], ...scores.map((s) => probabilities(s, endsInSoftmax(model))[target]), probabilities(blurredScores, endsInSoftmax(model))[target]];
        explainer.destroy();

        let result = await waitForResult(page, log, 'true');
        const before = result;
        await page.click('[data-testid=compare]');
        result = await waitForResult(page, log, `r.compare !== null && r.compare.target === ${target}`);
        const byMethod = new Map(result.compare!.methods.map((m) => [m.method, m]));
        expect([...byMethod.keys()]).toEqual(['fixations', 'gradcam', 'cam']);
        for (const [method, expected] of [['gradcam', gradcam], ['cam', cam]] as const) {
          const shown = byMethod.get(method)!;
          expect(shown.layer, method).toBe(expected.tensor);
          expect([shown.width, shown.height]).toEqual([expected.width, expected.height]);
          const peak = Math.max(...expected.values);
          expect(peak, `${method} is not all zero`).toBeGreaterThan(0);
          expect(Math.max(...shown.values!.map((v, i) => Math.abs(v - expected.values[i]))) / peak, `${method}: page vs Node`).toBeLessThan(1e-4);
        }
        expect(await page.$$eval('[data-testid=compare-view] canvas', (c) => c.length)).toBe(3);
        await page.screenshot({ path: join(artifacts, 'compare.png') });

        // 8 steps instead of 32 keeps the test short: 22 forward passes on the page, 8 here.
        await page.evaluate(() => (window.__demo!.app.internals.session!.deletionSteps = 8));
        await page.click('[data-testid=deletion-curves]');
        result = await waitForResult(page, log, `r.deletion !== null && r.counts.forward > ${before.counts.forward}`);
        const curves = new Map(result.deletion!.curves.map((c) => [c.method, c]));
        expect([...curves.keys()]).toEqual(['fixations', 'gradcam', 'cam']);
        for (const c of curves.values()) expect(c.probabilities).toHaveLength(9);
        const pageCurve = curves.get('gradcam')!.probabilities;
        expect(Math.max(...pageCurve.map((p, i) => Math.abs(p - nodeCurve[i]))), 'Grad-CAM deletion curve: page vs Node').toBeLessThan(1e-3);
        expect(curves.get('gradcam')!.auc).toBeCloseTo(areaUnderCurve(nodeCurve), 3);
        expect(await page.$eval('[data-testid=deletion-aucs]', (e) => e.textContent)).toMatch(/Fixations 0\.\d{3} · Grad-CAM 0\.\d{3} · CAM 0\.\d{3}/);
        // The curves' forward passes overwrote the activations: the photo ran again, with the same explanation.
        expect(result.fixations).toEqual(before.fixations);
        expect(result.target).toBe(before.target);
        await page.screenshot({ path: join(artifacts, 'compare-curves.png') });
        await page.click('[data-testid=compare]');
        expect(log.filter((line) => line.includes('page error'))).toEqual([]);
      });

      it('tunes the kernels on this adapter, remembers the choice, and explains again with it', async () => {
        if (!demo) throw new Error('the first test did not get the page to an explanation');
        const { page, log } = demo;
        const before = (await page.evaluate(() => window.__fixations))!;
        await page.click('[data-testid=tune-kernels]');
        await page.waitForFunction(() => /^Fastest here/.test(document.querySelector('[data-testid=tune-status]')?.textContent ?? ''), { timeout: 300_000 });
        const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('webgpu-fixations:kernel-choices') ?? '{}'));
        const entries = Object.values(stored) as { choices: { gemmTile: unknown }; measurements: { kernel: string }[] }[];
        expect(entries).toHaveLength(1);
        expect(entries[0].measurements.filter((m) => m.kernel === 'gemm').length).toBeGreaterThan(1);
        expect(entries[0].measurements.filter((m) => m.kernel === 'winograd').length).toBe(2);
        expect(await page.$eval('[data-testid=gpu-info]', (e) => e.textContent)).toMatch(/KernelsWinograd F\((2×2|4×4), 3×3\), GEMM (registers|workgroup)/);
        // The model is uploaded again with the chosen kernels and the photo explained again: the same class wins.
        const result = await waitForResult(page, log, `r.serial > ${before.serial} && r.counts.forward > ${before.counts.forward}`);
        expect(result.predictions[0].classIndex).toBe(topClass);
        expect(log.filter((line) => line.includes('page error'))).toEqual([]);
        await page.close();
      });

      it('says when a model has no class names and how to add them; another resize filter runs the network again', async () => {
        const { page, log } = await openDemo(browser, `${server.url}/?cfg=/shared-data/tiny-darknet/tiny.cfg&weights=/shared-data/tiny-darknet/tiny.weights`);
        await waitForModel(page, log);
        expect(await page.$eval('[data-testid=model-status]', (e) => e.textContent)).toMatch(/^Tiny Darknet is ready: 1000 classes/);
        const notice = await page.$eval('[data-testid=model-notice]', (e) => ((e as HTMLElement).hidden ? '' : (e.textContent ?? '')));
        expect(notice).toMatch(/^No class names: .*class 0 … class 999.*names\.txt/);
        expect(await page.$eval('[data-testid=resize-filter]', (e) => (e as HTMLSelectElement).value)).toBe('bilinear');
        await ((await page.$('input[data-testid=photo-input]')) as ElementHandle<HTMLInputElement>).uploadFile(join(scratch, 'dog.png'));
        const first = await waitForResult(page, log, `r.photo === 'dog.png'`);
        expect(first.predictions[0].label).toBe('class 14');
        await page.select('[data-testid=resize-filter]', 'antialiased-bilinear');
        const second = await waitForResult(page, log, `r.counts.forward > ${first.counts.forward}`);
        expect(second.predictions[0].probability).not.toBe(first.predictions[0].probability);
        expect(await page.$eval('#model-info', (e) => e.textContent)).toContain('antialiased bilinear (PIL BILINEAR');
        expect(log.filter((line) => line.includes('page error'))).toEqual([]);
        await page.close();
      });

      it('names the weights file and what is wrong with it when the file is truncated', async () => {
        writeFileSync(join(scratch, 'tiny.weights'), readFileSync(`${dir}/tiny.weights`).subarray(0, 1_000_000));
        const { page } = await openDemo(browser, `${server.url}/?cfg=/shared-data/tiny-darknet/tiny.cfg&weights=/scratch/tiny.weights`);
        const error = await waitForError(page);
        expect(error.kind).toBe('model-files');
        expect(error.message).toMatch(/^tiny\.weights: ends at byte 1000000 while reading .* the file is truncated/);
        expect(await page.$eval('[data-testid=model-status]', (e) => e.textContent)).toBe('No model loaded.');
        await page.screenshot({ path: join(artifacts, 'corrupt-weights.png') });
        await page.close();
      });
    });
  });
}
