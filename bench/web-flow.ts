import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BenchRow, BenchSuite } from './types.js';

/**
 * Rows of the web linking flow (docs/web-flow.md): latency (p50, p99) of the three browser steps through
 * the local server — login start, LINE callback, company callback — against the I/O each step
 * must do at the very least, sent directly from the same process:
 *
 * - `GET /auth/line/login` vs one PutItem of a session item;
 * - `GET /auth/line/callback` vs the conditional DeleteItem (consume), the POST to LINE's token
 *   endpoint (the emulator) and the PutItem of the company-leg session;
 * - `GET /auth/company/callback` vs the DeleteItem, the POST to the IdP's token endpoint and the
 *   link's TransactWriteItems as the repository builds it (two link items, the check that no
 *   friendship is known, the audit event).
 *
 * The ratio is the service's own overhead on top of that unavoidable I/O: the API Gateway adapter
 * hop, middy, state and PKCE handling, HS256 / RS256 ID token verification (keys cached), HTML
 * and cookies. Target: p50 ≤ 1.5 (the same bar as POST /links); p99 is reported.
 *
 * The measurement runs in a child process with the dev stack's own environment (its emulators,
 * DynamoDB Local and a fresh module cache), whatever earlier suites left in this process.
 */
const DEV_STACK_VARIABLES = [
  'DYNAMODB_ENDPOINT',
  'LINE_API_BASE',
  'LINE_AUTH_BASE',
  'LINE_ISSUER',
  'COMPANY_OIDC_ISSUER',
  'PUBLIC_BASE_URL',
  'APP_RETURN_URLS',
];

const suite: BenchSuite = {
  name: 'web-flow',
  async run({ large }) {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', NODE_NO_WARNINGS: '1' };
    for (const name of DEV_STACK_VARIABLES) delete env[name];
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'web-flow-child.ts'), String(large ? 600 : 200)],
      { env, maxBuffer: 1 << 20, timeout: 15 * 60_000 },
    );
    return JSON.parse(stdout.trim().split('\n').pop()!) as BenchRow[];
  },
};
export default suite;
