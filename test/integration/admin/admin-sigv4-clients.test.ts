import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { testAdminCredentials } from '../../support/admin-client.js';
import { referenceSign } from '../../support/sigv4-reference.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

/**
 * The admin API's signature check against real clients: the examples of docs/admin-api.md
 * ("Signing requests") run as written, and curl's own `--aws-sigv4`. A client the machine
 * lacks is skipped with a test name that says so.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);
const credentials = testAdminCredentials();
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({}, { iam: credentials });
}, 60_000);
afterAll(() => stack.close());

const env = (secret = credentials.secretAccessKey) => ({
  ...process.env,
  API: stack.api.url,
  AWS_ACCESS_KEY_ID: credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: secret,
  AWS_SESSION_TOKEN: '',
});

/** The fenced blocks of the doc's "Signing requests" section, by language. */
function docExamples(): Array<{ lang: string; code: string }> {
  const doc = readFileSync(join(root, 'docs/admin-api.md'), 'utf8');
  const section = /### Signing requests\n([\s\S]*?)\n## /.exec(doc)?.[1] ?? '';
  return [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, code: m[2]! }));
}
const examples = docExamples();
const example = (lang: string, tool: string) => {
  const found = examples.find((e) => e.lang === lang && e.code.trimStart().startsWith(tool));
  if (!found) throw new Error(`docs/admin-api.md has no ${lang} example starting with ${tool}`);
  return found.code;
};

function has(command: string, args: string[], pattern: RegExp): boolean {
  try {
    return pattern.test(execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch {
    return false;
  }
}
const curlSigV4 = has('curl', ['--help', 'all'], /--aws-sigv4/);
const awscurl = has('awscurl', ['--help'], /service/);
const botocore = has('python3', ['-c', 'import botocore; print("ok")'], /ok/);
describe('docs/admin-api.md signing examples, run against the dev server', () => {
  test('the section has curl, awscurl, Python and TypeScript examples', () => {
    expect(examples.map((e) => e.lang)).toEqual(['sh', 'sh', 'python', 'ts']);
  });

  (curlSigV4 ? test : test.skip)(
    `curl --aws-sigv4${curlSigV4 ? '' : ' — skipped: this machine’s curl has no --aws-sigv4 (7.75 or later)'}`,
    async () => {
      const code = example('sh', 'curl');
      const { stdout } = await run('sh', ['-c', code], { env: env() });
      expect(JSON.parse(stdout)).toMatchObject({ code: 'not-linked' });
      const refused = await run('sh', ['-c', code], { env: env('not-the-secret') });
      expect(JSON.parse(refused.stdout)).toEqual({ message: 'Forbidden' });
    },
  );

  (awscurl ? test : test.skip)(
    `awscurl${awscurl ? '' : ' — skipped: awscurl is not installed (pip install awscurl)'}`,
    async () => {
      const { stdout } = await run('sh', ['-c', example('sh', 'awscurl')], { env: env() });
      expect(JSON.parse(stdout)).toMatchObject({ companyUserId: 'M-1001' });
    },
  );

  (botocore ? test : test.skip)(
    `Python with botocore${botocore ? '' : ' — skipped: python3 with botocore is not installed'}`,
    async () => {
      const { stdout } = await run('python3', ['-c', example('python', 'import')], { env: env() });
      expect(stdout).toMatch(/^200 \{/);
      await expect(
        run('python3', ['-c', example('python', 'import')], { env: env('wrong') }),
      ).rejects.toThrow(/HTTP Error 403/);
    },
  );

  test('TypeScript with @smithy/signature-v4 and a node:crypto SHA-256 class', async () => {
    const dir = join(root, 'test-results', `admin-sigv4-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'example.ts');
    writeFileSync(file, example('ts', 'import'));
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', file], { env: env(), cwd: root });
      expect(stdout).toMatch(/^200 \{/);
      const refused = await run(process.execPath, ['--import', 'tsx', file], {
        env: env('wrong'),
        cwd: root,
      });
      expect(refused.stdout).toBe('403 {"message":"Forbidden"}\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('curl --aws-sigv4 beyond the doc: a body, a query, another region', () => {
  (curlSigV4 ? test : test.skip)(
    `POST with a JSON body and GET with a query${curlSigV4 ? '' : ' — skipped: no curl --aws-sigv4'}`,
    async () => {
      const user = `${credentials.accessKeyId}:${credentials.secretAccessKey}`;
      const post = await run('curl', [
        '-sS',
        '--aws-sigv4',
        'aws:amz:eu-west-3:execute-api',
        '--user',
        user,
        '-H',
        'content-type: application/json',
        '--data',
        '{"reason":"support"}',
        `${stack.api.url}/admin/links/company/M-CURL/unlink`,
      ]);
      expect(JSON.parse(post.stdout)).toMatchObject({ companyUserId: 'M-CURL' });
      const get = await run('curl', [
        '-sS',
        '--aws-sigv4',
        'aws:amz:us-west-2:execute-api',
        '--user',
        user,
        `${stack.api.url}/admin/messages/jobs/00000000-0000-4000-8000-000000000000?cursor=0`,
      ]);
      expect(JSON.parse(get.stdout)).toMatchObject({ code: 'message-job-not-found' });
    },
  );

  test('the plain reference signer (host;x-amz-date only) through the server', async () => {
    const url = `${stack.api.url}/admin/links/company/M-REF`;
    const response = await fetch(url, { headers: referenceSign(url, { method: 'GET' }, credentials) });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'not-linked' });
  });
});
