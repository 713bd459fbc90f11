#!/usr/bin/env node
// `node bin/run-ts.js script.ts [args]`: runs a TypeScript script of this repo the way the CLI runs (npm run bench).
import { resolve } from 'node:path';
import { launch } from './launch.js';

const [, , script] = process.argv;
if (!script) {
  console.error('usage: node bin/run-ts.js <script.ts> [args]');
  process.exit(2);
}
await launch(resolve(script));
