// Prints the gzipped size of widget.js and of the messenger app (frame HTML plus its assets), and
// fails when a budget is exceeded: widget.js < 10 KB, messenger < 60 KB (gzip -9).
//   npm run size            # after npm run build; reads ../dist/widget (or RAPPORT_WIDGET_OUT)
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dir = process.env.RAPPORT_WIDGET_OUT ?? new URL('../../dist/widget', import.meta.url).pathname;
const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
const files = (folder) => readdirSync(folder).flatMap((name) => {
  const path = join(folder, name);
  return statSync(path).isDirectory() ? files(path) : [path];
});

const loader = gz(join(dir, 'widget.js'));
const app = gz(join(dir, 'frame.html')) + files(join(dir, 'assets')).reduce((sum, file) => sum + gz(file), 0);
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
console.log(`widget.js (loader)        ${kb(loader)} gzipped (budget 10 KB)`);
console.log(`messenger (frame+assets)  ${kb(app)} gzipped (budget 60 KB)`);
if (loader >= 10 * 1024 || app >= 60 * 1024) {
  console.error('over budget');
  process.exit(1);
}
