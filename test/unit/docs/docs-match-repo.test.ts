import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The documentation names only files the repository has: every relative Markdown link, and
 * every path in backticks under a top-level folder of the project (or a `.md` file).
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const FOLDERS = /^(functions|lib|bin|test|docs|bench)\//;

function referencedFiles(doc: string): string[] {
  const text = readFileSync(join(ROOT, doc), 'utf8');
  const found = new Set<string>();
  for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
    if (!/^[a-z]+:/i.test(target!)) found.add(resolve(ROOT, dirname(doc), target!));
  }
  for (const [, token] of text.matchAll(/`([^`\s]+)`/g)) {
    if (/[<>*…{}]/.test(token!)) continue; // placeholders and globs
    const path = token!.replace(/[.,:;)]+$/, '');
    if (FOLDERS.test(path)) found.add(resolve(ROOT, path));
    else if (/^[\w.-]+\.md$/.test(path)) found.add(resolve(ROOT, dirname(doc), path));
  }
  // Plain-text mentions of Markdown files ("see DESIGN.md"): in this folder or at the root.
  for (const [, name] of text
    .replace(/\]\([^)]*\)|https?:\/\/\S+/g, '')
    .matchAll(/(?<![\w/.-])([\w-]+\.md)\b/g)) {
    const candidates = [resolve(ROOT, dirname(doc), name!), resolve(ROOT, name!)];
    found.add(candidates.find((c) => existsSync(c)) ?? candidates[0]!);
  }
  return [...found];
}

describe('the documentation names no file the repository lacks', () => {
  test.each(DOCS)('%s', (doc) => {
    const missing = referencedFiles(doc)
      .filter((file) => !existsSync(file))
      .map((file) => file.slice(ROOT.length));
    expect(missing).toEqual([]);
  });
});
