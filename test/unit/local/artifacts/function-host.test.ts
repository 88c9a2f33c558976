import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createFunctionHost,
  type FunctionHost,
  type FunctionHostOptions,
} from '../../../../functions/local/artifacts/function-host.js';
import type { DeployedFunction } from '../../../../functions/local/artifacts/types.js';

const root = mkdtempSync(join(tmpdir(), 'function-host-'));
const hosts: FunctionHost[] = [];

/** Writes a bundle folder with the given files and returns a function deployed from it. */
function deployed(
  name: string,
  files: Record<string, string>,
  overrides: Partial<DeployedFunction> = {},
): DeployedFunction {
  const assetDir = join(root, name);
  mkdirSync(assetDir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(assetDir, file), text);
  return {
    stack: 'LineIdLink-Api',
    logicalId: `${name}Function`,
    path: `LineIdLink-Api/${name}/Function`,
    name: `LineIdLink-Api-${name}`,
    arn: `arn:aws:lambda:ap-northeast-1:123456789012:function:LineIdLink-Api-${name}`,
    handler: 'index.handler',
    runtime: 'nodejs22.x',
    timeoutSeconds: 5,
    memorySize: 256,
    architecture: 'arm64',
    environment: {},
    assetDir,
    roleLogicalId: `${name}Role`,
    policies: [],
    ...overrides,
  };
}

function host(fn: DeployedFunction, options: Partial<FunctionHostOptions> = {}): FunctionHost {
  const created = createFunctionHost(fn, {
    environment: fn.environment,
    region: 'ap-northeast-1',
    account: '123456789012',
    nodeMajor: 22,
    ...options,
  });
  hosts.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ECHO = `
export const handler = async (event, context) => ({
  event,
  env: { ...process.env },
  sourceMaps: process.sourceMapsEnabled,
  context: {
    awsRequestId: context.awsRequestId,
    functionName: context.functionName,
    functionVersion: context.functionVersion,
    invokedFunctionArn: context.invokedFunctionArn,
    memoryLimitInMB: context.memoryLimitInMB,
    logGroupName: context.logGroupName,
    logStreamName: context.logStreamName,
    remaining: context.getRemainingTimeInMillis(),
    callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
  },
});
`;

/** A module-scope identity and counter: one per execution environment. */
const COUNTER = `
const environmentId = Math.random().toString(36).slice(2);
let count = 0;
export const handler = async (event) => {
  count += 1;
  if (event.waitMs) await new Promise((resolve) => setTimeout(resolve, event.waitMs));
  return { environmentId, count };
};
`;

describe('createFunctionHost', () => {
  it("gives the handler exactly the template's environment plus Lambda's runtime variables, and a Lambda context", async () => {
    const fn = deployed('Echo', { 'index.mjs': ECHO }, { timeoutSeconds: 7, memorySize: 384 });
    const environment = { TABLE_LINKS: 'links-local', NODE_OPTIONS: '--enable-source-maps' };
    const reply = await host(fn, { environment }).invoke({ hello: 'world' }, { requestId: 'req-1' });

    expect(reply).toMatchObject({ ok: true, requestId: 'req-1', coldStart: true });
    if (!reply.ok) throw new Error(reply.errorMessage);
    const { event, env, context, sourceMaps } = reply.result as {
      event: unknown;
      env: Record<string, string>;
      context: Record<string, unknown> & { remaining: number; logStreamName: string };
      sourceMaps: boolean;
    };
    expect(event).toEqual({ hello: 'world' });
    expect(sourceMaps).toBe(true);
    expect(env).toMatchObject({
      TABLE_LINKS: 'links-local',
      NODE_OPTIONS: '--enable-source-maps',
      AWS_REGION: 'ap-northeast-1',
      AWS_DEFAULT_REGION: 'ap-northeast-1',
      AWS_LAMBDA_FUNCTION_NAME: 'LineIdLink-Api-Echo',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '384',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/LineIdLink-Api-Echo',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      LAMBDA_TASK_ROOT: fn.assetDir,
      _HANDLER: 'index.handler',
      TZ: ':UTC',
    });
    expect(env['_X_AMZN_TRACE_ID']).toMatch(
      /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=[01]$/,
    );
    expect(env['AWS_LAMBDA_LOG_STREAM_NAME']).toBe(context.logStreamName);
    // Nothing of this process leaks in (HOME, PATH of this machine, jest's variables).
    expect(env['HOME']).toBeUndefined();
    expect(env['JEST_WORKER_ID']).toBeUndefined();
    expect(context).toMatchObject({
      awsRequestId: 'req-1',
      functionName: 'LineIdLink-Api-Echo',
      functionVersion: '$LATEST',
      invokedFunctionArn: fn.arn,
      memoryLimitInMB: '384',
      logGroupName: '/aws/lambda/LineIdLink-Api-Echo',
    });
    expect(context.remaining).toBeGreaterThan(5000);
    expect(context.remaining).toBeLessThanOrEqual(7000);
    expect(context.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
  });

  it('keeps module scope per execution environment: warm invocations share it, a second environment has its own', async () => {
    const h = host(deployed('Counter', { 'index.mjs': COUNTER }));
    const first = await h.invoke({});
    const second = await h.invoke({});
    expect(first).toMatchObject({ ok: true, coldStart: true, result: { count: 1 } });
    expect(second).toMatchObject({ ok: true, coldStart: false, result: { count: 2 } });
    expect(h.coldStarts).toBe(1);

    // Two at once: one invocation per environment, so a second environment starts cold.
    const [a, b] = await Promise.all([h.invoke({ waitMs: 300 }), h.invoke({ waitMs: 300 })]);
    expect(h.coldStarts).toBe(2);
    const ids = [a, b].map((r) =>
      r.ok ? (r.result as { environmentId: string }).environmentId : r.errorMessage,
    );
    expect(new Set(ids).size).toBe(2);
    expect([a, b].map((r) => r.ok && (r.result as { count: number }).count).sort()).toEqual([1, 3]);
  });

  it('queues invocations beyond the cap of environments', async () => {
    const h = host(deployed('Capped', { 'index.mjs': COUNTER }), { maxEnvironments: 1 });
    const replies = await Promise.all([h.invoke({ waitMs: 100 }), h.invoke({ waitMs: 100 }), h.invoke({})]);
    expect(h.coldStarts).toBe(1);
    expect(replies.map((r) => r.ok && (r.result as { count: number }).count)).toEqual([1, 2, 3]);
  });

  it('ends an invocation at the timeout with Sandbox.Timedout and discards that environment', async () => {
    const sleeper = `
let count = 0;
export const handler = async (event) => {
  count += 1;
  if (event.sleep) await new Promise((resolve) => setTimeout(resolve, 5000));
  return count;
};`;
    const h = host(deployed('Sleeper', { 'index.mjs': sleeper }, { timeoutSeconds: 1 }));
    const started = Date.now();
    const reply = await h.invoke({ sleep: true });
    const elapsed = Date.now() - started;
    expect(reply).toMatchObject({
      ok: false,
      errorType: 'Sandbox.Timedout',
      errorMessage: 'Task timed out after 1.00 seconds',
      phase: 'invoke',
    });
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(3000);
    // The environment is gone: the next invocation is a cold start with a fresh module scope.
    expect(await h.invoke({})).toMatchObject({ ok: true, coldStart: true, result: 1 });
    expect(h.coldStarts).toBe(2);
  });

  it('reports a handler error with its type and keeps the environment', async () => {
    const failing = `
let count = 0;
class LinkConflictError extends Error { name = 'LinkConflictError'; }
export const handler = async (event) => {
  count += 1;
  if (event.fail) throw new LinkConflictError('already linked');
  return count;
};`;
    const h = host(deployed('Failing', { 'index.mjs': failing }));
    expect(await h.invoke({ fail: true })).toMatchObject({
      ok: false,
      errorType: 'LinkConflictError',
      errorMessage: 'already linked',
      phase: 'invoke',
    });
    expect(await h.invoke({})).toMatchObject({ ok: true, result: 2, coldStart: false });
    expect(h.coldStarts).toBe(1);
  });

  it('reports a module scope that throws as an init failure and starts afresh next time', async () => {
    const fn = deployed('InitThrows', {
      'index.mjs': `
if (!process.env.LINE_CHANNEL_ID) throw new Error('Missing required environment variable LINE_CHANNEL_ID');
export const handler = async () => 'ok';`,
    });
    const h = host(fn);
    expect(await h.init()).toMatchObject({
      ok: false,
      errorType: 'Error',
      errorMessage: 'Missing required environment variable LINE_CHANNEL_ID',
      phase: 'init',
    });
    expect(await h.invoke({})).toMatchObject({ ok: false, phase: 'init', errorType: 'Error' });
    expect(h.coldStarts).toBe(2);

    const given = host(fn, { environment: { LINE_CHANNEL_ID: '1234567890' } });
    expect(await given.init()).toEqual({ ok: true, connections: [] });
    expect(await given.invoke({})).toMatchObject({ ok: true, result: 'ok', coldStart: true });
    expect(given.coldStarts).toBe(1);
  });

  it('resolves the handler as Lambda does and names what is missing', async () => {
    const cjs = host(
      deployed(
        'Cjs',
        { 'app.cjs': 'exports.nested = { run: (event, context, callback) => callback(null, event.n * 2) };' },
        {
          handler: 'app.nested.run',
        },
      ),
    );
    expect(await cjs.invoke({ n: 21 })).toMatchObject({ ok: true, result: 42 });

    const noExport = host(deployed('NoExport', { 'index.mjs': 'export const other = () => 1;' }));
    expect(await noExport.init()).toMatchObject({
      ok: false,
      errorType: 'Runtime.HandlerNotFound',
      errorMessage: 'index.handler is undefined or not exported',
    });

    const noFile = host(deployed('NoFile', { 'other.mjs': 'export const handler = () => 1;' }));
    expect(await noFile.init()).toMatchObject({
      ok: false,
      errorType: 'Runtime.ImportModuleError',
      errorMessage: "Error: Cannot find module 'index'",
    });

    const badImport = host(
      deployed('BadImport', { 'index.mjs': "import 'not-a-package';\nexport const handler = () => 1;" }),
    );
    expect(await badImport.init()).toMatchObject({
      ok: false,
      errorType: 'Runtime.ImportModuleError',
      phase: 'init',
    });
  });

  it('refuses a runtime other than the Node.js it runs on, naming both', async () => {
    const h = host(deployed('Old', { 'index.mjs': COUNTER }, { runtime: 'nodejs20.x' }));
    await expect(h.invoke({})).rejects.toThrow(/LineIdLink-Api\/Old\/Function.*nodejs20\.x.*Node\.js 22/);
    await expect(h.init()).rejects.toThrow(/nodejs20\.x/);
    expect(h.coldStarts).toBe(0);
  });

  it('passes each line the function writes to onLog', async () => {
    const lines: string[] = [];
    const fn = deployed('Logs', {
      'index.mjs': `
console.log('init line');
export const handler = async () => { console.log('one\\ntwo'); console.error(JSON.stringify({ level: 'ERROR' })); return null; };`,
    });
    const h = host(fn, { onLog: (line, from) => lines.push(`${from.logicalId}: ${line}`) });
    expect(await h.invoke({})).toMatchObject({ ok: true, result: null });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines).toEqual(
      expect.arrayContaining([
        'LogsFunction: init line',
        'LogsFunction: one',
        'LogsFunction: two',
        'LogsFunction: {"level":"ERROR"}',
      ]),
    );
  });

  it('returns the result as Lambda serializes it (JSON)', async () => {
    const h = host(
      deployed('Json', {
        'index.mjs': 'export const handler = async () => ({ at: new Date(0), skip: undefined, fn() {} });',
      }),
    );
    expect(await h.invoke({})).toMatchObject({ ok: true, result: { at: '1970-01-01T00:00:00.000Z' } });
  });

  it('rejects waiting and new invocations once closed', async () => {
    const h = host(deployed('Closing', { 'index.mjs': COUNTER }), { maxEnvironments: 1 });
    const running = expect(h.invoke({ waitMs: 2000 })).rejects.toThrow(/closed/);
    const queued = expect(h.invoke({})).rejects.toThrow(/closed/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await h.close();
    await running;
    await queued;
    await expect(h.invoke({})).rejects.toThrow(/closed/);
  });

  it('lists the connections a module scope opens', async () => {
    const fetching = `
await fetch('http://127.0.0.1:59999/.well-known/jwks.json').catch(() => undefined);
export const handler = async () => 'ok';`;
    expect(await host(deployed('Fetching', { 'index.mjs': fetching })).init()).toEqual({
      ok: true,
      connections: ['127.0.0.1:59999'],
    });
    // Connections made by the handler are the invocation's business, not the cold start's.
    const lazy = host(
      deployed('Lazy', {
        'index.mjs': "export const handler = () => fetch('http://127.0.0.1:59999/').then(() => 1, () => 0);",
      }),
    );
    expect(await lazy.init()).toEqual({ ok: true, connections: [] });
    expect(await lazy.invoke({})).toMatchObject({ ok: true, result: 0 });
  });
});
