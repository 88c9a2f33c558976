import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { Logger, type LogItem } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';

/** What the composition root tells the logger (functions/config.ts `ObservabilityConfig`). */
export interface LoggerSettings {
  serviceName: string;
  /** Powertools' level name; unset: Powertools' own default. */
  logLevel?: string;
  /**
   * Where each entry goes, as one line of JSON (`npm start`: its log file). Unset: Powertools
   * writes it to stdout, which Lambda sends to CloudWatch Logs.
   */
  output?: (line: string) => void;
}

type LoggerOptions = ConstructorParameters<typeof Logger>[0];

/** Powertools' Logger, writing each entry as one JSON line to `output` when one is given. */
class ServiceLogger extends Logger {
  constructor(
    options: LoggerOptions,
    private readonly output?: (line: string) => void,
  ) {
    super(options);
  }

  protected override printLog(logLevel: number, log: LogItem): void {
    if (!this.output) return super.printLog(logLevel, log);
    log.prepareForPrint();
    this.output(JSON.stringify(log.getAttributes(), this.getJsonReplacer()));
  }

  protected override createLogger(options?: LoggerOptions): Logger {
    return new ServiceLogger(options, this.output);
  }

  /** A logger for one invocation, like this one; `coldStart`: what it reports as `cold_start`. */
  forInvocation(coldStart: boolean): ServiceLogger {
    const own = this.createChild() as ServiceLogger;
    // A new logger counts its first context as a cold start: spend it unless this is one.
    if (!coldStart) own.getColdStart();
    return own;
  }
}

/**
 * The execution environment's logger. In Lambda it serves one invocation at a time, and each
 * handler's `injectLambdaContext` gives it that invocation's function name and request ID.
 */
let environmentLogger = new ServiceLogger({});

/** The logger of each invocation that {@link runInvocation} runs, through everything it awaits. */
const invocations = new AsyncLocalStorage<Logger>();

/**
 * The service's structured JSON logger (Powertools). Nothing that reaches it may contain a
 * token, a code, a secret or a factor value: log codes and IDs.
 *
 * Every call goes to the logger of the invocation running it ({@link runInvocation}), else to
 * the execution environment's: so an entry written anywhere (a handler, a middleware, an
 * adapter) carries the context its own invocation's `injectLambdaContext` set, even in a
 * process that runs several functions at once (`npm start`, the integration tests).
 *
 * A composition root names the service and the level with {@link configureLogger} before it
 * builds its handlers. Until then it has Powertools' defaults, which read only Powertools' own
 * `POWERTOOLS_*` variables: what tests that build a handler without a root get (quiet, as
 * test-env.ts sets it).
 */
export const logger: Logger = new Proxy(Object.create(Logger.prototype) as Logger, {
  get(_, property) {
    const current = invocations.getStore() ?? environmentLogger;
    const value: unknown = Reflect.get(current, property, current);
    return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(current) : value;
  },
});

/** Replaces the logger with one for `settings` (a Lambda cold start, a local server's start). */
export function configureLogger(settings: LoggerSettings): void {
  environmentLogger = new ServiceLogger(
    {
      serviceName: settings.serviceName,
      ...(settings.logLevel ? { logLevel: settings.logLevel as LogLevel } : {}),
    },
    settings.output,
  );
}

/**
 * Runs one invocation with a logger of its own, as a Lambda execution environment gives each of
 * its invocations the whole logger: for a process that runs many functions and requests at once
 * (the local composition root), so that none of them logs under another's name or request ID.
 * `coldStart` is what Powertools reports as `cold_start` for it (the function's first invocation).
 */
export function runInvocation<T>(fn: () => T, options: { coldStart: boolean }): T {
  return invocations.run(environmentLogger.forInvocation(options.coldStart), fn);
}

/**
 * Middy middleware of every function: the invocation's function name and request ID on each
 * entry it logs (Powertools `injectLambdaContext`), and the keys it appended dropped after it, so
 * nothing leaks into the next invocation. Never the event itself: it may hold tokens.
 */
export function invocationLogging(): MiddlewareObj {
  return injectLambdaContext(logger, { resetKeys: true, logEvent: false }) as MiddlewareObj;
}

/**
 * Runs, in this process, work that a queue's worker function does in AWS (the in-process
 * queues, when no queue URL is set): logged as an invocation of `functionName` with a request
 * ID of its own, not under the function that queued it.
 */
export function runAsInvocationOf<T>(functionName: string, fn: () => Promise<T>): Promise<T> {
  return runInvocation(
    () => {
      logger.addContext({
        functionName,
        functionVersion: '$LATEST',
        invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
        memoryLimitInMB: '256',
        awsRequestId: randomUUID(),
      } as Context);
      return fn();
    },
    { coldStart: false },
  );
}
