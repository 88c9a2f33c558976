import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importsOf, tsFiles } from './module-imports.js';

/**
 * AWS SDK calls live in the adapters: nothing under `functions/` or `bin/` imports an AWS SDK
 * package except `functions/adapters/` and the composition roots, which build the adapters'
 * clients (`functions/composition/`, `functions/lambda/`) or stand in for AWS locally
 * (`functions/local/`: the dev server, the emulators and the deployed-artifact mode). `lib/` (CDK)
 * and `test/` are out of scope. (`npm run check:layers` runs this with madge's cycle check.)
 *
 * Every kind of import counts: `import … from`, re-exports, dynamic `import('@aws-sdk/…')`,
 * `typeof import(…)`, and `import type` too. A type-only import still couples its file to the
 * SDK: its signatures change when the SDK's types do, and a test's fake of it must mimic the SDK's
 * shape instead of a port's; code outside the adapters names ports (or Lambda's event types,
 * which come from `aws-lambda`, not the SDK).
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCANNED = ['functions', 'bin'];

/** Folders whose files may import the SDK, with why. */
const ALLOWED_FOLDERS = [
  'functions/adapters/', // the adapters own the AWS clients
  'functions/composition/', // composition roots build the adapters' clients
  'functions/lambda/', // the Lambda entry points, built by the Lambda composition root
  'functions/local/', // the local server, emulators and deployed-artifact mode stand in for AWS
];

/** The AWS SDK's packages: `@aws-sdk/*` and its core `@smithy/*` (HTTP handlers, signing, retries). */
const SDK_PACKAGE = /^@(aws-sdk|smithy)\//;

/** The SDK packages `source` imports. */
function sdkImports(source: string): string[] {
  return importsOf(source).filter((specifier) => SDK_PACKAGE.test(specifier));
}

/** May the file at `path` (relative to the project) import the SDK? */
function allowed(path: string): boolean {
  return ALLOWED_FOLDERS.some((folder) => path.startsWith(folder));
}

describe('AWS SDK imports stay in the adapters and the composition roots', () => {
  const files = SCANNED.flatMap((dir) => tsFiles(join(ROOT, dir))).map((file) => relative(ROOT, file));

  it('finds the modules and reads every kind of import', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files).toContain('bin/export.ts');
    expect(
      sdkImports(
        [
          "import { ScanCommand } from '@aws-sdk/client-dynamodb';",
          "import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';",
          "export { S3Client } from '@aws-sdk/client-s3';",
          "const { SQSClient } = await import('@aws-sdk/client-sqs');",
          "type E = typeof import('@aws-sdk/client-eventbridge');",
          "import { NodeHttpHandler } from '@smithy/node-http-handler';",
          "import { plural } from '../cli/wording.js';",
          "import { Command } from 'commander';",
        ].join('\n'),
      ),
    ).toEqual([
      '@aws-sdk/client-dynamodb',
      '@aws-sdk/lib-dynamodb',
      '@aws-sdk/client-s3',
      '@aws-sdk/client-sqs',
      '@aws-sdk/client-eventbridge',
      '@smithy/node-http-handler',
    ]);
  });

  it.each([
    ['functions/adapters/dynamo/dynamo-client.ts', true],
    ['functions/composition/lambda-root.ts', true],
    ['functions/lambda/links-post.ts', true],
    ['functions/local/dev-stack.ts', true],
    ['functions/handlers/links-post.ts', false],
    ['functions/export/cli.ts', false],
    ['functions/core/use-cases/import-members.ts', false],
    ['functions/adapters.ts', false],
    ['bin/import.ts', false],
  ])('%s may import the SDK: %s', (path, expected) => {
    expect(allowed(path)).toBe(expected);
  });

  it('has no module outside them that imports the SDK', () => {
    const found = files
      .filter((file) => !allowed(file))
      .flatMap((file) =>
        sdkImports(readFileSync(join(ROOT, file), 'utf8')).map(
          (specifier) => `${file} imports '${specifier}'`,
        ),
      );
    expect(found).toEqual([]);
  });
});
