import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';

/** Debian's chromium (the CI script installs it); `CHROMIUM_PATH` points elsewhere. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless Chromium with WebGPU on SwiftShader (its CPU Vulkan driver) and WebGL (three.js) on SwiftShader through
 * ANGLE; no network services, no first-run UI. The same list is in DEVELOPERS.md.
 */
export const chromiumFlags = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // A synthetic camera (a moving test pattern), allowed without asking: the webcam's live mode in tests.
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
];

export function hasChromium(): boolean {
  return existsSync(chromiumPath);
}

export function launchChromium(): Promise<Browser> {
  return puppeteer.launch({ executablePath: chromiumPath, headless: true, args: chromiumFlags, protocolTimeout: 300_000 });
}
