import { PassThrough } from 'node:stream';
import { CliError, parseSince, runExportCli } from '../../../functions/export/cli.js';

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

  it.each([
    [
      { EXPORT_BUCKET: 'Not_A_Bucket' },
      ['--s3'],
      'EXPORT_BUCKET must be an S3 bucket name, got "Not_A_Bucket".',
    ],
    [{ DYNAMODB_ENDPOINT: 'nope' }, [], 'DYNAMODB_ENDPOINT must be an absolute http(s) URL, got "nope".'],
    [
      { AUDIT_TABLE: 'x' },
      ['--audit', '--endpoint', 'http://127.0.0.1:1'],
      'AUDIT_TABLE must be a DynamoDB table name, got "x".',
    ],
  ])('refuses the malformed variable of %j, naming it', async (env, argv, message) => {
    const t = io(env);
    await expect(runExportCli(argv, t.io)).resolves.toBe(2);
    expect(t.err()).toBe(`export: ${message}\n`);
    expect(t.out()).toBe('');
  });

  it('fails with exit code 1 and a hint when DynamoDB cannot be reached, writing nothing', async () => {
    const t = io();
    await expect(runExportCli(['--endpoint', 'http://127.0.0.1:9'], t.io)).resolves.toBe(1);
    expect(t.err()).toMatch(/Could not reach DynamoDB at http:\/\/127\.0\.0\.1:9/);
    expect(t.out()).toBe('');
  });
});
