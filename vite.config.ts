import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { weightsListing } from './src/web/weights-listing-node.ts';

const root = fileURLToPath(new URL('.', import.meta.url));
const weights = join(root, 'weights');

/** Where the entries of weights/ really are: it may hold links to model folders elsewhere (a cache, shared data). */
function weightsLinkTargets(): string[] {
  if (!existsSync(weights)) return [];
  return readdirSync(weights).flatMap((name) => {
    try {
      return [realpathSync(join(weights, name))];
    } catch {
      return [];
    }
  });
}

// The demo page: index.html at the top, the app under src/web/ and src/explorer/, shaders bundled as strings.
export default defineConfig({
  root,
  // Relative asset URLs, so the built page works from any folder of a static server.
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // three.js alone is ~700 kB; one bundle for one page is fine.
    chunkSizeWarningLimit: 1600,
  },
  server: {
    // The dev server serves the repository and the targets of links in weights/ (read when it starts), nothing else.
    fs: { allow: [root, ...weightsLinkTargets()] },
  },
  plugins: [weightsListing(weights)],
});
