import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importsOf, tsFiles } from './module-imports.js';

/**
 * The core stays free of infrastructure: use cases and ports under `functions/core/` receive
 * their dependencies as interfaces, so nothing there may import an AWS SDK, middy, Lambda event
 * types or an HTTP server, nor reach out to the adapters, handlers or local tooling that depend
 * on it. (`npm run check:layers` runs this with madge's cycle check.)
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CORE = join(ROOT, 'functions/core');

/** Packages the core must not import, with why. */
const FORBIDDEN_PACKAGES: ReadonlyArray<[RegExp, string]> = [
  [/^@aws-sdk\//, 'an AWS SDK package (adapters own AWS clients)'],
  [/^@smithy\//, 'an AWS SDK package (adapters own AWS clients)'],
  [/^@middy\//, 'middy (handlers own the middleware chain)'],
  [/^(@types\/)?aws-lambda$/, 'Lambda event types (handlers translate events)'],
  [/^@aws-lambda-powertools\//, 'Powertools (logging and metrics belong to the edge)'],
  [/^(node:)?https?$|^(node:)?http2$/, 'an HTTP module (the core speaks through ports)'],
];

/** Folders of `functions/` the core must not import from. */
const FORBIDDEN_FOLDERS = ['adapters', 'handlers', 'local'].map((f) => join(ROOT, 'functions', f));

/** Why `specifier`, imported by `file`, breaks the core's rule; undefined when it is allowed. */
function violation(file: string, specifier: string): string | undefined {
  if (specifier.startsWith('.')) {
    const target = resolve(dirname(file), specifier);
    const folder = FORBIDDEN_FOLDERS.find((f) => target === f || target.startsWith(`${f}/`));
    return folder ? `imports from functions/${relative(join(ROOT, 'functions'), folder)}/` : undefined;
  }
  return FORBIDDEN_PACKAGES.find(([pattern]) => pattern.test(specifier))?.[1];
}

describe('functions/core imports no infrastructure', () => {
  const files = tsFiles(CORE);

  it('finds the core modules and reads their imports', () => {
    expect(files.length).toBeGreaterThan(10);
    expect(importsOf("import type { X } from '../adapters/x.js';\nexport * from 'node:http';")).toEqual([
      '../adapters/x.js',
      'node:http',
    ]);
    expect(importsOf("type M = typeof import('@aws-sdk/client-s3');")).toEqual(['@aws-sdk/client-s3']);
  });

  it.each([
    ['@aws-sdk/client-dynamodb'],
    ['@aws-sdk/lib-dynamodb'],
    ['@middy/core'],
    ['aws-lambda'],
    ['@types/aws-lambda'],
    ['node:http'],
    ['https'],
    ['../../adapters/dynamo/dynamo-link-repository.js'],
    ['../../handlers/http/error-table.js'],
    ['./../../local/dev-stack.js'],
  ])('would refuse %s', (specifier) => {
    expect(violation(join(CORE, 'use-cases/some-use-case.ts'), specifier)).toBeDefined();
  });

  it.each([['node:crypto'], ['zod/mini'], ['../ports.js'], ['./link-accounts.js'], ['../../core/errors.js']])(
    'allows %s',
    (specifier) => {
      expect(violation(join(CORE, 'use-cases/some-use-case.ts'), specifier)).toBeUndefined();
    },
  );

  it('has no module that breaks the rule', () => {
    const found = files.flatMap((file) =>
      importsOf(readFileSync(file, 'utf8')).flatMap((specifier) => {
        const why = violation(file, specifier);
        return why ? [`${relative(ROOT, file)} imports '${specifier}': ${why}`] : [];
      }),
    );
    expect(found).toEqual([]);
  });
});
