import { randomBytes, randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { DeployedFunction } from './types.js';

/** What one invocation gave back, as the Lambda Invoke API would report it. */
export type InvokeResult =
  { ok: true; result: unknown; requestId: string; coldStart: boolean } | InvokeFailure;

/**
 * A failed invocation. `phase: 'init'` means the module scope (or finding the handler) failed and
 * the environment was discarded, as Lambda does; `'invoke'` means the handler failed or timed out.
 */
export interface InvokeFailure {
  ok: false;
  errorType: string;
  errorMessage: string;
  stackTrace?: string[];
  phase: 'init' | 'invoke';
  requestId: string;
}

/**
 * The outcome of loading a bundle's module scope into a fresh environment. `connections` lists
 * the TCP connections the module scope opened (`host:port`): a cold start that needs the
 * network fails or slows when the network does.
 */
export type InitResult = { ok: true; connections: string[] } | Omit<InvokeFailure, 'requestId'>;

export interface FunctionHostOptions {
  /**
   * The function's environment: the template's, resolved, plus the caller's overlay. The host
   * adds only the variables Lambda itself sets in every execution environment.
   */
  environment: Record<string, string>;
  region: string;
  account: string;
  /** Each line the function writes to stdout or stderr (dropped when absent). */
  onLog?: (line: string, fn: DeployedFunction) => void;
  /** The Node.js major version the bundles run on here (this process's own by default). */
  nodeMajor?: number;
  /** Execution environments at most; invocations beyond wait for one to be free. @default 10 */
  maxEnvironments?: number;
  /** `LoggingConfig.LogGroup` when the template sets one. @default `/aws/lambda/${fn.name}` */
  logGroupName?: string;
}

/** Runs one deployed function: one worker thread per execution environment, as Lambda would. */
export interface FunctionHost {
  readonly fn: DeployedFunction;
  /** Invokes the handler with `event` in a free environment (starting one when none is free). */
  invoke(event: unknown, options?: { requestId?: string }): Promise<InvokeResult>;
  /**
   * Starts an environment and runs the bundle's module scope only (what a cold start does before
   * the first event), keeping the environment for the next invocation when it succeeds.
   */
  init(): Promise<InitResult>;
  /** Environments started so far (each one ran the module scope once). */
  readonly coldStarts: number;
  /** Terminates every environment; invocations still waiting or running reject. */
  close(): Promise<void>;
}

/**
 * Lambda's init phase limit for on-demand functions
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html#runtimes-lifecycle-ib).
 */
const INIT_TIMEOUT_MS = 10_000;

/**
 * The runtime side of an execution environment, run as the worker's script (plain JS, no loader:
 * the bundle is plain JS too). It resolves the handler as the Node.js runtime interface client
 * does (https://github.com/aws/aws-lambda-nodejs-runtime-interface-client, UserFunction.js):
 * `dir/module.export.path`, the module tried as is, then `.js`, `.mjs`, `.cjs`.
 */
const RUNTIME_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { statSync } = require('node:fs');
const { basename, dirname, resolve } = require('node:path');
const { pathToFileURL } = require('node:url');

function typed(name, message) {
  const error = new Error(message);
  error.name = name;
  return error;
}

function describe(error) {
  if (error instanceof Error) {
    const stack = String(error.stack || '').split('\n').slice(1).map((line) => line.trim());
    return { errorType: error.name, errorMessage: error.message, stackTrace: stack };
  }
  return { errorType: typeof error, errorMessage: String(error) };
}

function isFile(path) {
  try { return statSync(path).isFile(); } catch { return false; }
}

async function loadHandler(taskRoot, handlerString) {
  if (handlerString.includes('..')) {
    throw typed('Runtime.MalformedHandlerName', "'" + handlerString + "' is not a valid handler name.");
  }
  const match = /^([^.]*)\.(.*)$/.exec(basename(handlerString));
  if (!match) throw typed('Runtime.MalformedHandlerName', 'Bad handler ' + handlerString);
  const [, moduleName, exportPath] = match;
  const stem = resolve(taskRoot, dirname(handlerString), moduleName);
  const file = [stem, stem + '.js', stem + '.mjs', stem + '.cjs'].find(isFile);
  if (!file) throw typed('Runtime.ImportModuleError', "Error: Cannot find module '" + moduleName + "'");
  let exported;
  try {
    exported = await import(pathToFileURL(file).href);
  } catch (error) {
    if (error instanceof SyntaxError) throw typed('Runtime.UserCodeSyntaxError', String(error));
    if (error && (error.code === 'ERR_MODULE_NOT_FOUND' || error.code === 'MODULE_NOT_FOUND')) {
      throw typed('Runtime.ImportModuleError', String(error));
    }
    throw error;
  }
  const lookup = (root) => exportPath.split('.').reduce((value, key) => (value == null ? undefined : value[key]), root);
  const handler = lookup(exported) ?? lookup(exported.default);
  if (handler === undefined) throw typed('Runtime.HandlerNotFound', handlerString + ' is undefined or not exported');
  if (typeof handler !== 'function') throw typed('Runtime.HandlerNotFound', handlerString + ' is not a function');
  return handler;
}

function call(handler, event, context) {
  return new Promise((resolvePromise, reject) => {
    const callback = (error, value) => (error != null ? reject(error) : resolvePromise(value));
    context.done = callback;
    context.succeed = (value) => callback(null, value);
    context.fail = (error) => callback(error ?? 'handled');
    const returned = handler(event, context, callback);
    if (returned && typeof returned.then === 'function') returned.then(resolvePromise, reject);
  });
}

let handler;
parentPort.on('message', async (message) => {
  const { id, event, requestId, traceId, deadline } = message;
  process.env._X_AMZN_TRACE_ID = traceId;
  const { fn, logGroupName, logStreamName } = workerData;
  const context = {
    awsRequestId: requestId,
    functionName: fn.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: fn.arn,
    memoryLimitInMB: String(fn.memorySize),
    logGroupName,
    logStreamName,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const result = await call(handler, event, context);
    const json = result === undefined ? null : JSON.parse(JSON.stringify(result) ?? 'null');
    parentPort.postMessage({ id, ok: true, result: json });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, ...describe(error) });
  }
});

// Every TCP connection the module scope opens (fetch, http, the SDK all go through net.Socket).
const net = require('node:net');
const connect = net.Socket.prototype.connect;
const initConnections = [];
net.Socket.prototype.connect = function (...args) {
  const options = Array.isArray(args[0]) ? args[0][0] : args[0];
  initConnections.push(
    typeof options === 'object' && options !== null
      ? options.path ?? (options.host ?? 'localhost') + ':' + options.port
      : (typeof args[1] === 'string' ? args[1] : 'localhost') + ':' + options,
  );
  return connect.apply(this, args);
};

loadHandler(workerData.fn.assetDir, workerData.fn.handler).then(
  (loaded) => {
    net.Socket.prototype.connect = connect;
    handler = loaded;
    parentPort.postMessage({ id: 'init', ok: true, result: initConnections });
  },
  (error) => {
    net.Socket.prototype.connect = connect;
    parentPort.postMessage({ id: 'init', ok: false, ...describe(error) });
  },
);
`;

type WorkerReply =
  | { id: string; ok: true; result?: unknown }
  | { id: string; ok: false; errorType: string; errorMessage: string; stackTrace?: string[] };

interface Pending {
  id: string;
  settle: (reply: WorkerReply) => void;
}

/** One execution environment: a worker thread with its own module graph and `process.env`. */
class ExecutionEnvironment {
  readonly worker: Worker;
  readonly ready: Promise<InitResult>;
  busy = false;
  gone = false;
  /** Invocations given to this environment; the first one is its cold start. */
  invocations = 0;
  private pending: Pending | undefined;

  constructor(
    fn: DeployedFunction,
    env: Record<string, string>,
    execArgv: string[],
    logStreamName: string,
    logGroupName: string,
    onLine: (line: string) => void,
  ) {
    this.worker = new Worker(RUNTIME_SOURCE, {
      eval: true,
      env,
      execArgv,
      workerData: { fn, logGroupName, logStreamName },
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: fn.memorySize },
    });
    for (const stream of [this.worker.stdout, this.worker.stderr] as Readable[]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine);
    }
    this.worker.on('message', (reply: WorkerReply) => {
      const pending = this.pending;
      if (pending?.id !== reply.id) return;
      this.pending = undefined;
      pending.settle(reply);
    });
    // An uncaught exception or an exit ends the environment, as it ends the runtime process.
    this.worker.on('error', (error: Error) =>
      this.end({ errorType: error.name, errorMessage: error.message }),
    );
    this.worker.on('exit', (code) =>
      this.end({
        errorType: 'Runtime.ExitError',
        errorMessage: `Runtime exited with error: exit status ${code}`,
      }),
    );
    this.ready = this.request('init', undefined, INIT_TIMEOUT_MS).then((reply) => {
      if (reply.ok) return { ok: true, connections: (reply.result as string[] | undefined) ?? [] } as const;
      void this.terminate();
      const { errorType, errorMessage, stackTrace } = reply;
      return { ok: false, errorType, errorMessage, stackTrace, phase: 'init' } as const;
    });
  }

  /** Sends `message` (or, for `init`, waits for the module scope) and settles by `timeoutMs`. */
  request(id: string, message: object | undefined, timeoutMs: number): Promise<WorkerReply> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        void this.terminate();
        const seconds = (timeoutMs / 1000).toFixed(2);
        resolve({
          id,
          ok: false,
          errorType: 'Sandbox.Timedout',
          errorMessage: `Task timed out after ${seconds} seconds`,
        });
      }, timeoutMs);
      this.pending = {
        id,
        settle: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
      };
      if (message) this.worker.postMessage({ id, ...message });
    });
  }

  async terminate(): Promise<void> {
    this.gone = true;
    await this.worker.terminate();
  }

  private end(failure: { errorType: string; errorMessage: string }): void {
    this.gone = true;
    const pending = this.pending;
    this.pending = undefined;
    pending?.settle({ id: pending.id, ok: false, ...failure });
  }
}

/** `nodejs22.x` → 22. */
function runtimeMajor(runtime: string): number | undefined {
  const match = /^nodejs(\d+)\.x$/.exec(runtime);
  return match ? Number(match[1]) : undefined;
}

/**
 * NODE_OPTIONS is read only when a process starts, so the template's value reaches the worker as
 * its execArgv (`--enable-source-maps` and the like are per-thread options a worker accepts).
 */
function nodeOptionsArgv(nodeOptions: string | undefined): string[] {
  return (nodeOptions ?? '').match(/(?:[^\s"]+|"[^"]*")+/g)?.map((arg) => arg.replaceAll('"', '')) ?? [];
}

/** Splits flags into those a worker thread takes and those only a process does. */
function workerExecArgv(argv: string[]): { accepted: string[]; refused: string[] } {
  const accepted: string[] = [];
  const refused: string[] = [];
  for (const flag of argv) {
    try {
      void new Worker('', { eval: true, execArgv: [flag] }).terminate();
      accepted.push(flag);
    } catch {
      refused.push(flag);
    }
  }
  return { accepted, refused };
}

/** `2025/01/31/[$LATEST]0123…`: the stream name Lambda gives each execution environment. */
function logStreamName(): string {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  return `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
}

/** An X-Ray trace header for one invocation (`Root=1-<epoch hex>-<24 hex>;Parent=…;Sampled=1`). */
function traceHeader(): string {
  const epoch = Math.floor(Date.now() / 1000).toString(16);
  return `Root=1-${epoch}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=1`;
}

/**
 * Runs a function of the cloud assembly from its asset bundle the way Lambda runs it: the
 * template's handler, runtime check and timeout, the environment it is given plus Lambda's own
 * variables, and isolated execution environments (one worker thread each, one invocation at a
 * time, a module scope of its own), so module-scope caches and cold starts behave as deployed.
 * A cold start is traced by X-Ray (`Sampled=1`): the tracer's UDP segments go to
 * 127.0.0.1:2000, where nothing needs to listen.
 */
export function createFunctionHost(fn: DeployedFunction, options: FunctionHostOptions): FunctionHost {
  const nodeMajor = options.nodeMajor ?? Number(process.versions.node.split('.')[0]);
  const maxEnvironments = options.maxEnvironments ?? 10;
  const logGroupName = options.logGroupName ?? `/aws/lambda/${fn.name}`;
  const environments = new Set<ExecutionEnvironment>();
  const waiting: Array<{ take: (env: ExecutionEnvironment) => void; fail: (error: Error) => void }> = [];
  let coldStarts = 0;
  let closed = false;

  const checkRuntime = (): void => {
    if (runtimeMajor(fn.runtime) !== nodeMajor) {
      throw new Error(
        `${fn.path} (${fn.name}) has runtime ${fn.runtime}, but the local runtime is Node.js ${nodeMajor} (nodejs${nodeMajor}.x): the bundle would not run here as it runs on Lambda.`,
      );
    }
  };

  // https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
  const runtimeVariables = (streamName: string): Record<string, string> => ({
    AWS_REGION: options.region,
    AWS_DEFAULT_REGION: options.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: logGroupName,
    AWS_LAMBDA_LOG_STREAM_NAME: streamName,
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
    LAMBDA_TASK_ROOT: fn.assetDir,
    LAMBDA_RUNTIME_DIR: '/var/runtime',
    _HANDLER: fn.handler,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    PATH: '/usr/local/bin:/usr/bin/:/bin:/opt/bin',
    NODE_PATH: `/opt/nodejs/node${nodeMajor}/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task`,
  });

  const onLine = (line: string): void => options.onLog?.(line, fn);
  let execArgv: string[] | undefined;

  const start = (): ExecutionEnvironment => {
    const streamName = logStreamName();
    const env = { ...options.environment, ...runtimeVariables(streamName) };
    const create = (argv: string[]): ExecutionEnvironment =>
      new ExecutionEnvironment(fn, env, argv, streamName, logGroupName, onLine);
    let environment: ExecutionEnvironment;
    try {
      execArgv ??= nodeOptionsArgv(options.environment['NODE_OPTIONS']);
      environment = create(execArgv);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
      const { accepted, refused } = workerExecArgv(execArgv ?? []);
      onLine(
        `[function host] NODE_OPTIONS ${refused.join(' ')} apply to a whole process, not a worker thread: left out here.`,
      );
      execArgv = accepted;
      environment = create(execArgv);
    }
    coldStarts += 1;
    environments.add(environment);
    environment.worker.once('exit', () => {
      environments.delete(environment);
      const next = waiting.shift();
      if (next && !closed) next.take(start());
    });
    return environment;
  };

  /** A free environment, marked busy: an idle one, a new one, or the next one to be freed. */
  const acquire = (): Promise<ExecutionEnvironment> => {
    const idle = [...environments].find((env) => !env.busy && !env.gone);
    const env = idle ?? (environments.size < maxEnvironments ? start() : undefined);
    if (env) {
      env.busy = true;
      return Promise.resolve(env);
    }
    return new Promise((take, fail) =>
      waiting.push({
        take: (freed) => {
          freed.busy = true;
          take(freed);
        },
        fail,
      }),
    );
  };

  const release = (env: ExecutionEnvironment): void => {
    env.busy = false;
    if (env.gone) return; // its exit starts a replacement for the next waiting invocation
    const next = waiting.shift();
    if (next) next.take(env);
  };

  const ensureOpen = (): void => {
    if (closed) throw new Error(`The function host of ${fn.path} is closed.`);
  };

  return {
    fn,
    get coldStarts() {
      return coldStarts;
    },

    async init() {
      ensureOpen();
      checkRuntime();
      const env = start();
      env.busy = true;
      const ready = await env.ready;
      release(env);
      return ready;
    },

    async invoke(event, invokeOptions = {}) {
      ensureOpen();
      checkRuntime();
      const requestId = invokeOptions.requestId ?? randomUUID();
      const env = await acquire();
      try {
        const cold = env.invocations++ === 0;
        const ready = await env.ready;
        ensureOpen();
        if (!ready.ok) return { ...ready, requestId };
        const timeoutMs = fn.timeoutSeconds * 1000;
        const deadline = Date.now() + timeoutMs;
        const reply = await env.request(
          requestId,
          { event, requestId, traceId: traceHeader(), deadline },
          timeoutMs,
        );
        ensureOpen();
        if (reply.ok) return { ok: true, result: reply.result, requestId, coldStart: cold };
        const { errorType, errorMessage, stackTrace } = reply;
        return { ok: false, errorType, errorMessage, stackTrace, phase: 'invoke', requestId };
      } finally {
        release(env);
      }
    },

    async close() {
      closed = true;
      for (const entry of waiting.splice(0)) entry.fail(new Error(`The function host of ${fn.path} closed.`));
      await Promise.all([...environments].map((env) => env.terminate()));
    },
  };
}
