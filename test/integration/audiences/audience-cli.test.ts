import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runAudienceCli } from '../../../functions/audiences/audience-cli.js';
import { testLineUserId } from '../../../functions/local/emulators/test-identities.js';
import { testAdminCredentials } from '../../support/admin-client.js';
import { call } from '../../support/http.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

/** `npm run audience` against the local API (SigV4-checked), DynamoDB Local and the LINE emulator. */

const credentials = testAdminCredentials();
const dir = mkdtempSync(join(tmpdir(), 'audience-cli-'));
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({}, { iam: credentials });
  const { channelId, channelSecret } = stack.line.messaging.channel;
  stack.configure({ LINE_MESSAGING_CHANNEL_ID: channelId, LINE_MESSAGING_CHANNEL_SECRET: channelSecret });
});
afterAll(() => stack.close());

function io() {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: false });
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  return {
    io: {
      env: { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey },
      stdout,
      stderr,
      pollIntervalMs: 50,
    },
    out: () => out,
    err: () => err,
  };
}

async function link(memberId: string) {
  const lineUserId = testLineUserId(`cli-${memberId}`);
  const created = await call(stack.api.url, 'POST', '/links', {
    token: await stack.line.mintIdToken({ userId: lineUserId }),
    json: { companyIdToken: await stack.company.mintIdToken({ sub: memberId }) },
  });
  expect(created.status).toBe(201);
  return lineUserId;
}

describe('npm run audience', () => {
  test('creates the audience from a CSV, follows the job, writes the members not linked', async () => {
    const stamp = Date.now();
    const lineA = await link(`M-CLI-A-${stamp}`);
    const members = join(dir, 'members.csv');
    writeFileSync(members, `name,memberId\nA,M-CLI-A-${stamp}\nB,M-CLI-B-${stamp}\n`);
    const out = join(dir, 'not-linked.csv');
    const run = io();
    const code = await runAudienceCli(
      ['--members', members, '--description', `CLI ${stamp}`, '--api', stack.api.url, '--out', out],
      run.io,
    );
    expect(run.err()).toMatch(/Idempotency key: \S+/);
    expect(code).toBe(0);
    const id = Number(run.out().match(/Audience (\d+): done\./)?.[1]);
    expect(run.out()).toContain('Requested 2, linked 1, not linked 1');
    expect(stack.line.messaging.audiences.get(id)!.userIds).toEqual(new Set([lineA]));
    expect(readFileSync(out, 'utf8')).toBe(`memberId\r\nM-CLI-B-${stamp}\r\n`);

    // Adds with a text file of one member a line.
    const lineC = await link(`M-CLI-C-${stamp}`);
    const more = join(dir, 'more.txt');
    writeFileSync(more, `M-CLI-C-${stamp}\n`);
    const again = io();
    expect(
      await runAudienceCli(
        ['--members', more, '--audience-group-id', String(id), '--api', stack.api.url, '--out', out],
        again.io,
      ),
    ).toBe(0);
    expect(stack.line.messaging.audiences.get(id)!.userIds).toEqual(new Set([lineA, lineC]));
  });

  test('an audience LINE does not know: exit 1 with its reason on one line', async () => {
    const members = join(dir, 'one.txt');
    writeFileSync(members, 'M-CLI-X\n');
    await link('M-CLI-X');
    const run = io();
    const code = await runAudienceCli(
      [
        '--members',
        members,
        '--audience-group-id',
        '999',
        '--api',
        stack.api.url,
        '--out',
        join(dir, 'x.csv'),
      ],
      run.io,
    );
    expect(code).toBe(1);
    expect(run.out()).toContain(': failed.');
    expect(run.err()).toMatch(/^line-bad-response: .*AUDIENCE_GROUP_NOT_FOUND$/m);
  });

  test.each([
    ['neither --description nor --audience-group-id', []],
    ['both', ['--description', 'x', '--audience-group-id', '1']],
    ['a name of 121 characters', ['--description', 'x'.repeat(121)]],
  ])('%s: exit 2, one line, nothing sent', async (_label, args) => {
    const members = join(dir, 'usage.txt');
    writeFileSync(members, 'M-1\n');
    const before = stack.line.messaging.audiences.groups().length;
    const run = io();
    expect(await runAudienceCli(['--members', members, '--api', stack.api.url, ...args], run.io)).toBe(2);
    expect(run.err().trim().split('\n')).toHaveLength(1);
    expect(stack.line.messaging.audiences.groups().length).toBe(before);
  });

  test('a request the API refuses (unsigned by a stranger): exit 2 with the status and code', async () => {
    const members = join(dir, 'stranger.txt');
    writeFileSync(members, 'M-1\n');
    const run = io();
    run.io.env = { AWS_ACCESS_KEY_ID: 'AKIASTRANGER0000000', AWS_SECRET_ACCESS_KEY: 'not-the-secret' };
    expect(
      await runAudienceCli(['--members', members, '--description', 'x', '--api', stack.api.url], run.io),
    ).toBe(2);
    expect(run.err()).toMatch(/POST \/admin\/audiences: 403/);
  });
});
