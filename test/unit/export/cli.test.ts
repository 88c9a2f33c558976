import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { CliError, parseSince, resolveTarget, runExportCli } from '../../../functions/export/cli.js';

function io(env: Record<string, string> = {}, endpointFile = '/nonexistent/dynamodb-endpoint') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { io: { env, stdout, stderr, endpointFile }, out: () => out, err: () => err };
}

describe('export CLI', () => {
  it('--help prints to stdout, like the import command', async () => {
    const t = io();
    expect(await runExportCli(['--help'], t.io)).toBe(0);
    expect(t.out()).toContain('Usage: npm run export -- [options]');
    expect(t.err()).toBe('');
  });

  describe('resolveTarget', () => {
    const dir = mkdtempSync(join(tmpdir(), 'export-cli-'));
    const file = join(dir, 'dynamodb-endpoint');

    it('prefers --endpoint, then DYNAMODB_ENDPOINT, then AWS with --region, then the dev server file', () => {
      writeFileSync(file, 'http://127.0.0.1:8123\n');
      expect(
        resolveTarget(
          { endpoint: 'http://x:1' },
          { env: { DYNAMODB_ENDPOINT: 'http://y:2' }, endpointFile: file },
        ),
      ).toMatchObject({
        endpoint: 'http://x:1',
      });
      expect(
        resolveTarget(
          { region: 'ap-northeast-1' },
          { env: { DYNAMODB_ENDPOINT: 'http://y:2' }, endpointFile: file },
        ),
      ).toMatchObject({
        endpoint: 'http://y:2',
      });
      expect(resolveTarget({ region: 'ap-northeast-1' }, { env: {}, endpointFile: file })).toEqual({
        region: 'ap-northeast-1',
        source: 'AWS (ap-northeast-1)',
      });
      expect(resolveTarget({}, { env: {}, endpointFile: file })).toEqual({
        endpoint: 'http://127.0.0.1:8123',
        source: file,
      });
    });

    it('explains what to do when the dev server has not written its endpoint', () => {
      expect(() => resolveTarget({}, { env: {}, endpointFile: join(dir, 'missing') })).toThrow(
        /npm start.*--endpoint/s,
      );
      expect(() => resolveTarget({ endpoint: 'ftp://x' }, { env: {} })).toThrow(CliError);
    });
  });

  it('parses --since as an ISO date or a date-time with a zone', () => {
    expect(parseSince('2026-01-01').toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(parseSince('2026-01-01T09:00:00+09:00').toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(parseSince('2026-01-01T09:00Z').toISOString()).toBe('2026-01-01T09:00:00.000Z');
    for (const bad of ['yesterday', '2026-13-01', '2026-01-01T09:00:00', '1700000000']) {
      expect(() => parseSince(bad)).toThrow(CliError);
    }
  });

  it.each([
    [['--format', 'xml'], /argument 'xml' is invalid/],
    [['--segments', '0', '--endpoint', 'http://127.0.0.1:1'], /--segments must be an integer/],
    [['--s3', '--since', '2026-01-01', '--bucket', 'b'], /--since does not apply to --s3/],
    [['--s3'], /needs the export bucket/],
    [['--status', 'not-an-arn'], /needs an export ARN/],
    [['--pseudonymize', '--endpoint', 'http://127.0.0.1:1'], /EXPORT_PSEUDONYM_KEY/],
    [['--wait', '--endpoint', 'http://127.0.0.1:1'], /--wait applies to --s3/],
  ])('refuses %j with a usage error', async (argv, message) => {
    const t = io();
    await expect(runExportCli(argv, t.io)).resolves.toBe(2);
    expect(t.err()).toMatch(message);
    expect(t.out()).toBe('');
  });

  it('fails with exit code 1 and a hint when DynamoDB cannot be reached, writing nothing', async () => {
    const t = io();
    await expect(runExportCli(['--endpoint', 'http://127.0.0.1:9'], t.io)).resolves.toBe(1);
    expect(t.err()).toMatch(/Could not reach DynamoDB at http:\/\/127\.0\.0\.1:9/);
    expect(t.out()).toBe('');
  });
});
