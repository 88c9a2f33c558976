import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Every function's middy chain injects its invocation into the logger (`invocationLogging()`,
 * which `httpEdge()` and `htmlEdge()` hold for the HTTP routes): without it, a function's log entries carry no
 * function name and no request ID in Lambda, and another function's in `npm start`.
 */
const HANDLERS = fileURLToPath(new URL('../../../functions/handlers/', import.meta.url));

describe('every handler logs as its own invocation', () => {
  const files = readdirSync(HANDLERS).filter((name) => name.endsWith('.ts'));

  it('finds the handlers', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it.each(files)('%s uses httpEdge(), htmlEdge() or invocationLogging()', (name) => {
    const source = readFileSync(join(HANDLERS, name), 'utf8');
    if (!source.includes('middy<')) return;
    expect(source).toMatch(/\.use\(\[?(?:\w+\(\),\s*)*(?:httpEdge|htmlEdge|invocationLogging)\(/);
  });
});
