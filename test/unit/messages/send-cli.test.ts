import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runSendCli } from '../../../functions/messages/send-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'send-cli-'));
const to = join(dir, 'to.csv');
const message = join(dir, 'message.json');
writeFileSync(to, 'companyUserId\nC-1\n');
writeFileSync(message, JSON.stringify({ type: 'text', text: 'hello' }));

async function send(env: Record<string, string>) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const argv = ['--to', to, '--message', message, '--out', join(dir, 'out.csv'), '--no-progress'];
  // Nothing answers there: the environment must be refused before any DynamoDB call.
  const code = await runSendCli([...argv, '--endpoint', 'http://127.0.0.1:9'], { env, stdout, stderr });
  return { code, err };
}

describe('npm run send: its environment through the schema', () => {
  it.each([
    [
      { LINE_MESSAGING_CHANNEL_ID: 'channel-1' },
      'LINE_MESSAGING_CHANNEL_ID must be digits only, got "channel-1".',
    ],
    [
      { LINE_MESSAGING_CHANNEL_ID: '2000000002', LINE_API_BASE: 'http://api.example.com' },
      'LINE_API_BASE must use https (http is accepted only for loopback hosts).',
    ],
  ])('refuses the malformed variable of %j, naming it', async (env, problem) => {
    const { code, err } = await send(env);
    expect(code).toBe(1);
    expect(err).toMatch(new RegExp(`\\n${problem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`));
  });

  it('without LINE_MESSAGING_CHANNEL_ID says what to set', async () => {
    const { code, err } = await send({});
    expect(code).toBe(1);
    expect(err).toMatch(
      /Set LINE_MESSAGING_CHANNEL_ID and LINE_MESSAGING_CHANNEL_SECRET \(or _ARN\) to send\.\n$/,
    );
  });
});
