import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createDocumentClient } from '../../../functions/adapters/dynamo/dynamo-client.js';
import { DynamoLinkRepository } from '../../../functions/adapters/dynamo/dynamo-link-repository.js';
import { ensureTables, localClient, taggedTableNames } from '../../../functions/local/dynamodb-local.js';
import { testLineUserId } from '../../../functions/local/emulators/test-identities.js';
import { runSendCli } from '../../../functions/messages/send-cli.js';
import { testAdminCredentials } from '../../support/admin-client.js';
import { call } from '../../support/http.js';
import { startLineFake, type FakeRoute, type LineFake } from '../../support/line-fake.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

const endpoint = process.env.DYNAMODB_ENDPOINT!;
const table = `line-id-link-links-send-${Date.now()}`;
const dir = mkdtempSync(join(tmpdir(), 'send-cli-'));
let fake: LineFake;
const lineId = (n: number) => `U${n.toString(16).padStart(32, '0')}`;

beforeAll(async () => {
  const raw = localClient(endpoint);
  const suffix = table.slice('line-id-link-links-'.length);
  await ensureTables(raw, { ...taggedTableNames(suffix), links: table });
  raw.destroy();
  const client = createDocumentClient({ endpoint });
  const links = new DynamoLinkRepository(client, table);
  for (let i = 0; i < 3; i++)
    await links.create({
      lineUserId: lineId(i),
      companyUserId: `M${i}`,
      method: 'record',
      linkedAt: '2026-11-01T00:00:00.000Z',
    });
  client.destroy();
  fake = await startLineFake({
    'POST /oauth2/v3/token': () => ({ status: 200, json: { access_token: 'tok', expires_in: 900 } }),
    'POST /v2/bot/message/multicast': multicast,
  });
});
afterAll(() => fake.close());
const acceptedKeys = new Set<string>();
/** The recipients of each multicast request LINE accepted. */
const deliveries: string[][] = [];
/** As LINE: a retry key it already accepted is answered 409 and delivers nothing again. */
const multicast: FakeRoute = (req) => {
  const key = String(req.headers['x-line-retry-key']);
  if (acceptedKeys.has(key)) return { status: 409, json: { message: 'The retry key is already accepted' } };
  acceptedKeys.add(key);
  deliveries.push((JSON.parse(req.body) as { to: string[] }).to);
  return { status: 200, json: {} };
};

function io(env: Record<string, string> = {}) {
  const stderr = Object.assign(new PassThrough(), { isTTY: false });
  let err = '';
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  return {
    io: {
      env: {
        LINE_API_BASE: fake.url,
        LINE_MESSAGING_CHANNEL_ID: '2000000002',
        LINE_MESSAGING_CHANNEL_SECRET: 'secret',
        ...env,
      },
      stdout: new PassThrough(),
      stderr,
      pollIntervalMs: 50,
    },
    err: () => err,
  };
}

/** The key a run printed. */
const printedKey = (err: string) => err.match(/Idempotency key: (\S+)/)?.[1];

describe('npm run send', () => {
  test('resolves, sends one multicast, writes a result CSV with formula-like cells neutralised', async () => {
    const to = join(dir, 'members.csv');
    writeFileSync(to, 'companyUserId,name\nM0,a\nM1,b\n"=HYPERLINK(""x"")",c\nM-404,d\n');
    const message = join(dir, 'message.json');
    writeFileSync(message, JSON.stringify({ type: 'text', text: 'Hello' }));
    const out = join(dir, 'results.csv');
    const run = io();
    const code = await runSendCli(
      ['--to', to, '--message', message, '--out', out, '--endpoint', endpoint, '--table', table],
      run.io,
    );
    expect(run.err()).toContain('Sent 2, not linked 2');
    expect(code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(
      'companyUserId,status\r\nM0,sent\r\nM1,sent\r\n"\'=HYPERLINK(""x"")",not-linked\r\nM-404,not-linked\r\n',
    );
    const calls = fake.requests.filter((r) => r.path === '/v2/bot/message/multicast');
    expect(calls).toHaveLength(1);
    expect(JSON.parse(calls[0]!.body).to).toEqual([lineId(0), lineId(1)]);
  });

  test('--dry-run sends nothing; bad messages exit 2 with the problem', async () => {
    const to = join(dir, 'm2.csv');
    writeFileSync(to, 'M2\nM9\n');
    const message = join(dir, 'm2.json');
    writeFileSync(message, JSON.stringify([{ type: 'text', text: 'Hi' }]));
    const out = join(dir, 'dry.csv');
    const before = fake.requests.length;
    const dry = io();
    expect(
      await runSendCli(
        [
          '--to',
          to,
          '--message',
          message,
          '--out',
          out,
          '--dry-run',
          '--endpoint',
          endpoint,
          '--table',
          table,
        ],
        dry.io,
      ),
    ).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('companyUserId,status\r\nM2,would-send\r\nM9,not-linked\r\n');
    expect(fake.requests.length).toBe(before);

    writeFileSync(message, JSON.stringify({ type: 'fax' }));
    const bad = io();
    expect(
      await runSendCli(['--to', to, '--message', message, '--endpoint', endpoint, '--table', table], bad.io),
    ).toBe(2);
    expect(bad.err()).toContain('messages.0.type');
  });
});

describe('npm run send: idempotency key', () => {
  test('each run prints a new key; run again with --idempotency-key, nothing is delivered twice', async () => {
    const to = join(dir, 'again.csv');
    writeFileSync(to, 'companyUserId\nM0\nM1\nM2\n');
    const message = join(dir, 'again.json');
    writeFileSync(message, JSON.stringify({ type: 'text', text: 'Once only' }));
    const args = [
      '--to',
      to,
      '--message',
      message,
      '--out',
      join(dir, 'again-out.csv'),
      '--endpoint',
      endpoint,
      '--table',
      table,
    ];
    const before = deliveries.length;
    const first = io();
    expect(await runSendCli(args, first.io)).toBe(0);
    const key = printedKey(first.err());
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.err()).toContain(`--idempotency-key "${key}"`);
    expect(deliveries.length - before).toBe(1);

    // The same run again (as after a failure): the same retry keys, LINE delivers nothing new.
    const rerun = io();
    expect(await runSendCli([...args, '--idempotency-key', key!], rerun.io)).toBe(0);
    expect(printedKey(rerun.err())).toBe(key);
    expect(rerun.err()).toContain('Sent 3');
    expect(deliveries.length - before).toBe(1);
    const keys = fake.requests
      .filter((r) => r.path === '/v2/bot/message/multicast')
      .slice(-2)
      .map((r) => r.headers['x-line-retry-key']);
    expect(keys[0]).toBe(keys[1]);

    // Without the key, a run is a new send.
    const fresh = io();
    expect(await runSendCli(args, fresh.io)).toBe(0);
    expect(printedKey(fresh.err())).not.toBe(key);
    expect(deliveries.length - before).toBe(2);
  });

  test('without --results: a new temporary folder, printed; a bar on a terminal; --column names the column', async () => {
    const to = join(dir, 'people.csv');
    writeFileSync(to, 'name,memberNo\na,M0\nb,M9\n');
    const message = join(dir, 'people.json');
    writeFileSync(message, JSON.stringify({ type: 'text', text: 'Hello' }));
    const run = io();
    Object.assign(run.io.stderr, { isTTY: true });
    const code = await runSendCli(
      ['--to', to, '--column', 'memberNo', '--message', message, '--endpoint', endpoint, '--table', table],
      run.io,
    );
    expect(code).toBe(0);
    const results = run.err().match(/Results: (\S+)\n$/)?.[1];
    expect(results!.startsWith(`${tmpdir()}/line-id-link-send-`)).toBe(true);
    expect(results).toMatch(/\/line-id-link-send-[^/]+\/send-results\.csv$/);
    expect(readFileSync(results!, 'utf8')).toBe('companyUserId,status\r\nM0,sent\r\nM9,not-linked\r\n');
    expect(run.err()).toContain('2/2 members');
  });

  test('a malformed --idempotency-key is a usage error', async () => {
    const run = io();
    expect(
      await runSendCli(['--to', 'x.csv', '--message', 'x.json', '--idempotency-key', 'clé'], run.io),
    ).toBe(2);
    expect(run.err()).toContain('--idempotency-key');
  });
});

describe('npm run send --api: through POST /admin/messages with an Idempotency-Key', () => {
  const MESSAGING = { channelId: '2000000002', channelSecret: 'messaging-channel-secret-0123456789' };
  const credentials = testAdminCredentials();
  let stack: TestStack;
  /** The LINE emulator with this file's multicast in front of it. */
  let line: LineFake;
  /** An HTTP proxy in front of the API that records requests and can lose the answer of the next POSTs. */
  let gate: Server;
  let gateUrl: string;
  const seen: Array<{ method: string; path: string; headers: IncomingHttpHeaders }> = [];
  let loseAnswers = 0;

  beforeAll(async () => {
    stack = await startTestStack(
      {
        LINE_MESSAGING_CHANNEL_ID: MESSAGING.channelId,
        LINE_MESSAGING_CHANNEL_SECRET: MESSAGING.channelSecret,
      },
      { iam: credentials },
    );
    line = await startLineFake(
      {
        'POST /oauth2/v3/token': () => ({ status: 200, json: { access_token: 'tok', expires_in: 900 } }),
        'POST /v2/bot/message/multicast': multicast,
      },
      stack.line.url,
    );
    stack.configure({ LINE_API_BASE: line.url });
    const api = new URL(stack.api.url);
    gate = createServer((req, res) => {
      seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
      const lose = req.method === 'POST' && loseAnswers > 0;
      if (lose) loseAnswers--;
      const out = httpRequest(
        { host: api.hostname, port: api.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          if (lose) {
            // The API did the work; its answer never reaches the client.
            answer.resume();
            answer.on('end', () => req.socket.destroy());
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(out);
    });
    await new Promise<void>((resolve) => gate.listen(0, '127.0.0.1', resolve));
    gateUrl = `http://127.0.0.1:${(gate.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    gate.closeAllConnections();
    await new Promise((resolve) => gate.close(resolve));
    await stack.close();
    await line.close();
  });

  async function linkMember(memberId: string) {
    const lineUserId = testLineUserId(`send-cli-${memberId}`);
    const created = await call(stack.api.url, 'POST', '/links', {
      token: await stack.line.mintIdToken({ userId: lineUserId }),
      json: { companyIdToken: await stack.company.mintIdToken({ sub: memberId }) },
    });
    expect(created.status).toBe(201);
    return lineUserId;
  }

  const signing = {
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  };

  test('sends the header on every try; a lost answer is retried with the same key and delivered once; a re-run with the key sends nothing', async () => {
    const stamp = Date.now();
    const member = `M-CLI-${stamp}`;
    const lineUserId = await linkMember(member);
    const to = join(dir, 'api.csv');
    writeFileSync(to, `companyUserId\n${member}\nM-CLI-UNKNOWN-${stamp}\n`);
    const message = join(dir, 'api.json');
    writeFileSync(message, JSON.stringify({ type: 'text', text: 'Through the API' }));
    const out = join(dir, 'api-out.csv');
    const args = ['--to', to, '--message', message, '--out', out, '--api', gateUrl];
    const before = deliveries.length;
    seen.length = 0;
    loseAnswers = 1;

    const run = io(signing);
    expect(await runSendCli(args, run.io)).toBe(0);
    const key = printedKey(run.err())!;
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    expect(run.err()).toContain('trying again');
    const posts = seen.filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.headers['idempotency-key'])).toEqual([`"${key}"`, `"${key}"`]);
    expect(deliveries.slice(before)).toEqual([[lineUserId]]);
    const csv = `companyUserId,status\r\n${member},sent\r\nM-CLI-UNKNOWN-${stamp},not-linked\r\n`;
    expect(readFileSync(out, 'utf8')).toBe(csv);

    // Run again with the printed key: the API answers the first answer, nothing is sent.
    seen.length = 0;
    const rerun = io(signing);
    expect(await runSendCli([...args, '--idempotency-key', key], rerun.io)).toBe(0);
    expect(seen.filter((r) => r.method === 'POST').map((r) => r.headers['idempotency-key'])).toEqual([
      `"${key}"`,
    ]);
    expect(deliveries.length - before).toBe(1);
    expect(readFileSync(out, 'utf8')).toBe(csv);

    // The key with another message: the API refuses it (422), the run says so.
    writeFileSync(message, JSON.stringify({ type: 'text', text: 'Something else' }));
    const reused = io(signing);
    expect(await runSendCli([...args, '--idempotency-key', key], reused.io)).toBe(1);
    expect(reused.err()).toContain('idempotency-key-reused');
    expect(deliveries.length - before).toBe(1);
  });

  test('more than 500 recipients: a job, followed to its report', async () => {
    const stamp = Date.now();
    const linked = `M-CLI-JOB-${stamp}-0`;
    const lineUserId = await linkMember(linked);
    const ids = Array.from({ length: 600 }, (_, i) => `M-CLI-JOB-${stamp}-${i}`);
    const to = join(dir, 'job.csv');
    writeFileSync(to, `companyUserId\n${ids.join('\n')}\n`);
    const message = join(dir, 'job.json');
    writeFileSync(message, JSON.stringify({ type: 'text', text: 'A job' }));
    const out = join(dir, 'job-out.csv');
    const before = deliveries.length;
    const run = io(signing);
    expect(await runSendCli(['--to', to, '--message', message, '--out', out, '--api', gateUrl], run.io)).toBe(
      0,
    );
    expect(run.err()).toMatch(/Job [0-9a-f-]{36}: sent 1, not linked 599/);
    const rows = readFileSync(out, 'utf8').trim().split('\r\n');
    expect(rows).toHaveLength(601);
    expect(rows[1]).toBe(`${linked},sent`);
    expect(deliveries.slice(before)).toEqual([[lineUserId]]);
  });
});
