// The agent inbox, served by Rapport at /app with its assets under /app/assets/.
// `RAPPORT_APP_OUT` (set by crates/http/build.rs) overrides the output folder so a build never
// leaves a half-written dist behind.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/app/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact', legalComments: 'none' },
  build: {
    outDir: process.env.RAPPORT_APP_OUT ?? '../dist/app',
    emptyOutDir: true,
    target: 'es2020',
    assetsDir: 'assets',
    modulePreload: false,
    reportCompressedSize: false,
  },
});
