import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createDocumentClient } from '../../../functions/adapters/dynamo/dynamo-client.js';
import { DynamoLinkRepository } from '../../../functions/adapters/dynamo/dynamo-link-repository.js';
import { ensureTables, localClient, taggedTableNames } from '../../../functions/local/dynamodb-local.js';
import { runSendCli } from '../../../functions/messages/send-cli.js';
import { startLineFake, type LineFake } from '../../support/line-fake.js';

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
    'POST /v2/bot/message/multicast': () => ({ status: 200, json: {} }),
  });
});
afterAll(() => fake.close());

function io() {
  const stderr = Object.assign(new PassThrough(), { isTTY: false });
  let err = '';
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  return {
    io: {
      env: {
        LINE_API_BASE: fake.url,
        LINE_MESSAGING_CHANNEL_ID: '2000000002',
        LINE_MESSAGING_CHANNEL_SECRET: 'secret',
      },
      stdout: new PassThrough(),
      stderr,
    },
    err: () => err,
  };
}

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
