import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { weightsListing } from './src/web/weights-listing-node.ts';

const root = fileURLToPath(new URL('.', import.meta.url));

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
    // weights/ may hold links to model folders elsewhere (shared data, a cache).
    fs: { strict: false },
  },
  plugins: [weightsListing(fileURLToPath(new URL('./weights', import.meta.url)))],
});
