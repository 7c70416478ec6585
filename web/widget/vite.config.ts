// The messenger app that runs inside the iframe, served by Rapport at /messenger/frame with its
// assets under /messenger/assets/. `RAPPORT_WIDGET_OUT` (set by crates/http/build.rs) overrides the
// output folder so a build never leaves a half-written dist behind.
import { defineConfig } from 'vite';

export const outDir = process.env.RAPPORT_WIDGET_OUT ?? '../dist/widget';

export default defineConfig({
  base: '/messenger/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact', legalComments: 'none' },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2020',
    assetsDir: 'assets',
    modulePreload: false,
    reportCompressedSize: false,
    rollupOptions: { input: 'frame.html' },
  },
});
