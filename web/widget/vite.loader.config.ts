// widget.js: the loader customers embed (no framework). Built as one IIFE that defines no global
// besides window.Intercom and window.Rapport. Runs after vite.config.ts, into the same folder.
import { defineConfig } from 'vite';
import { outDir } from './vite.config';

export default defineConfig({
  esbuild: { legalComments: 'none' },
  build: {
    outDir,
    emptyOutDir: false,
    target: 'es2020',
    reportCompressedSize: false,
    lib: {
      entry: 'src/loader/index.ts',
      formats: ['iife'],
      name: 'RapportLoader',
      fileName: () => 'widget.js',
    },
  },
});
