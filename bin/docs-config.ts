import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { generatedBlocks, replaceBlocks } from '../lib/config-docs.js';

/**
 * `npm run docs:config`: rewrites the configuration tables of README.md and docs/deploy.md from
 * the schemas (lib/config-docs.ts), formatted as `npm run format` would.
 */
const root = fileURLToPath(new URL('../', import.meta.url));
for (const [file, blocks] of Object.entries(generatedBlocks())) {
  const path = `${root}${file}`;
  const text = replaceBlocks(readFileSync(path, 'utf8'), blocks, file);
  const formatted = await format(text, { ...(await resolveConfig(path)), filepath: path });
  writeFileSync(path, formatted);
  console.log(`${file}: ${Object.keys(blocks).length} table(s) written`);
}
