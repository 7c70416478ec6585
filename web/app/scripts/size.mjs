// Prints the gzipped size of the agent app's initial load (index.html plus every asset it loads)
// and fails over the 250 KB budget (gzip -9).
//   npm run size            # after npm run build; reads ../dist/app (or RAPPORT_APP_OUT)
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dir = process.env.RAPPORT_APP_OUT ?? new URL('../../dist/app', import.meta.url).pathname;
const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
const files = (folder) => readdirSync(folder).flatMap((name) => {
  const path = join(folder, name);
  return statSync(path).isDirectory() ? files(path) : [path];
});
const all = [join(dir, 'index.html'), ...files(join(dir, 'assets'))];
const raw = all.reduce((sum, file) => sum + statSync(file).size, 0);
const total = all.reduce((sum, file) => sum + gz(file), 0);
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
console.log(`agent app (index+assets)  ${kb(total)} gzipped, ${kb(raw)} raw (budget 250 KB gzipped)`);
if (total >= 250 * 1024) {
  console.error('over budget');
  process.exit(1);
}
