import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/** The architecture tests' view of the sources: files and what they import. */

/** Every `.ts` file under `dir`, recursively. */
export function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier of a source: imports, `import type`, re-exports, `import()` and `typeof import()`. */
export function importsOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}
