import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  dynamoConfigOf,
  DynamoTargetError,
  resolveDynamoTarget,
} from '../../../functions/cli/dynamo-target.js';

const dir = mkdtempSync(join(tmpdir(), 'dynamo-target-'));
const file = join(dir, 'dynamodb-endpoint');
writeFileSync(file, 'http://127.0.0.1:8123\n');
const missing = join(dir, 'missing');

describe('resolveDynamoTarget (npm run import / export / send)', () => {
  test('prefers --endpoint, then DYNAMODB_ENDPOINT, then AWS with --region, then the dev server file', () => {
    const env = { DYNAMODB_ENDPOINT: 'http://y:2' };
    expect(
      resolveDynamoTarget({ endpoint: 'http://x:1' }, 'links', { env, endpointFile: file }),
    ).toMatchObject({
      endpoint: 'http://x:1',
      source: '--endpoint',
      localDev: false,
    });
    expect(
      resolveDynamoTarget({ region: 'ap-northeast-1' }, 'links', { env, endpointFile: file }),
    ).toMatchObject({
      endpoint: 'http://y:2',
      region: 'ap-northeast-1',
      source: 'DYNAMODB_ENDPOINT',
    });
    expect(
      resolveDynamoTarget({ region: 'ap-northeast-1' }, 'links', { env: {}, endpointFile: file }),
    ).toEqual({
      table: 'line-id-link-links',
      region: 'ap-northeast-1',
      source: 'AWS (ap-northeast-1)',
      localDev: false,
    });
    expect(resolveDynamoTarget({}, 'members', { env: {}, endpointFile: file })).toEqual({
      table: 'line-id-link-members',
      endpoint: 'http://127.0.0.1:8123',
      source: file,
      localDev: true,
    });
  });

  test('AWS only with --region: AWS_REGION and --table alone still mean the dev server', () => {
    const target = resolveDynamoTarget({ table: 'prod-members' }, 'members', {
      env: { AWS_REGION: 'ap-northeast-1' },
      endpointFile: file,
    });
    expect(target).toMatchObject({
      table: 'prod-members',
      endpoint: 'http://127.0.0.1:8123',
      localDev: true,
    });
    expect(() =>
      resolveDynamoTarget({ table: 'prod-members' }, 'members', {
        env: { AWS_REGION: 'ap-northeast-1' },
        endpointFile: missing,
      }),
    ).toThrow(/npm start.*--endpoint.*--region/s);
  });

  test('the table: --table, else its variable, else the service default', () => {
    const io = { env: { AUDIT_TABLE: 'my-audit' }, endpointFile: file };
    expect(resolveDynamoTarget({ table: 'given' }, 'audit', io).table).toBe('given');
    expect(resolveDynamoTarget({}, 'audit', io).table).toBe('my-audit');
    expect(resolveDynamoTarget({}, 'links', io).table).toBe('line-id-link-links');
  });

  test('explains what to do when the dev server has not written its endpoint', () => {
    expect(() => resolveDynamoTarget({}, 'links', { env: {}, endpointFile: missing })).toThrow(
      /npm start.*--endpoint/s,
    );
  });

  test('refuses an endpoint that is not an http(s) URL, naming where it came from', () => {
    expect(() => resolveDynamoTarget({ endpoint: 'ftp://x' }, 'links', { env: {} })).toThrow(
      new DynamoTargetError('--endpoint is not an http(s) URL: "ftp://x".'),
    );
    // The variable's own rule (functions/manifest/config-schema.ts) words the message.
    expect(() => resolveDynamoTarget({}, 'links', { env: { DYNAMODB_ENDPOINT: 'nope' } })).toThrow(
      new DynamoTargetError('DYNAMODB_ENDPOINT must be an absolute http(s) URL, got "nope".'),
    );
    const bad = join(dir, 'bad-endpoint');
    writeFileSync(bad, 'not a url');
    expect(() => resolveDynamoTarget({}, 'links', { env: {}, endpointFile: bad })).toThrow(DynamoTargetError);
  });

  test('the client options: the target endpoint and region replace the environment, local credentials for an endpoint', () => {
    const env = { DYNAMODB_ENDPOINT: 'http://ignored:1', AWS_REGION: 'us-east-1' };
    const local = resolveDynamoTarget({ endpoint: 'http://x:1' }, 'links', { env });
    expect(dynamoConfigOf(local, env)).toEqual({
      endpoint: 'http://x:1',
      region: 'us-east-1',
      localCredentials: true,
      // A local engine gets its longer per-attempt timeout (dynamo-client.ts).
      localEngine: true,
    });
    const aws = resolveDynamoTarget({ region: 'ap-northeast-1' }, 'links', { env: {} });
    expect(dynamoConfigOf(aws, env)).toEqual({
      region: 'ap-northeast-1',
      localCredentials: false,
      localEngine: false,
    });
  });
});
