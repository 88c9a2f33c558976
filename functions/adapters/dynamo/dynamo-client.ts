import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StandardRetryStrategy } from '@smithy/core/retry';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { StorageUnavailableError } from '../../core/errors.js';

/** Options of {@link createDocumentClient} (functions/config.ts `loadDynamoConfig` reads them). */
export interface DocumentClientOptions {
  /** Endpoint override (DynamoDB Local); AWS's own endpoint when absent. */
  endpoint?: string;
  region?: string;
  /**
   * Use static dummy credentials (DynamoDB Local accepts any); default: when an endpoint is set
   * without a region.
   */
  localCredentials?: boolean;
  /** Longest wait for a connection (TCP and TLS) in ms; default {@link DYNAMO_CALL_DEFAULTS}. */
  connectionTimeoutMs?: number;
  /**
   * Longest wait for one attempt's answer in ms, from sending it (connection included) to the
   * answer's headers, and the longest pause while its body is read; default {@link DYNAMO_CALL_DEFAULTS}.
   */
  requestTimeoutMs?: number;
  /** Attempts of one call, the first included; default {@link DYNAMO_CALL_DEFAULTS}. */
  maxAttempts?: number;
  /** Longest back-off before a retry in ms (jittered below it); default {@link DYNAMO_CALL_DEFAULTS}. */
  maxRetryDelayMs?: number;
  /** `Retry-After` of the 503 once the retries are spent, in seconds; default 1. */
  retryAfterSeconds?: number;
}

/**
 * How long one DynamoDB call may take. DynamoDB answers in milliseconds (a transaction in tens);
 * an attempt that has no answer after 2 s is stalled, and trying again on a new connection is
 * what helps. The SDK retries throttling, 5xx, resets and timeouts with jittered exponential
 * back-off (base 1 s for throttling, 50 ms otherwise), here capped per retry.
 */
export const DYNAMO_CALL_DEFAULTS = {
  connectionTimeoutMs: 1000,
  requestTimeoutMs: 2000,
  maxAttempts: 3,
  maxRetryDelayMs: 1000,
} as const;

/**
 * The longest one call can take, its retries and back-off included:
 * `maxAttempts × requestTimeoutMs + (maxAttempts − 1) × maxRetryDelayMs` — 8 s with the
 * defaults. The tightest function that calls DynamoDB (every API route) has 15 s
 * (lib/api-stack.ts); a request that meets a stalled DynamoDB is answered 503 well before it.
 * (DynamoDB sends no `Retry-After`; a proxy that did could stretch one back-off by up to 5 s.)
 */
export function dynamoCallBudgetMs(options: DocumentClientOptions = {}): number {
  const { requestTimeoutMs, maxAttempts, maxRetryDelayMs } = { ...DYNAMO_CALL_DEFAULTS, ...defined(options) };
  return maxAttempts * requestTimeoutMs + (maxAttempts - 1) * maxRetryDelayMs;
}

/**
 * One DynamoDB document client per execution environment. With an `endpoint` (DynamoDB Local)
 * the region defaults to `local` and static dummy credentials are used unless real ones are
 * configured.
 *
 * Every call is bounded ({@link dynamoCallBudgetMs}): a connection timeout, a timeout per
 * attempt (an error, not the SDK's default warning), at most `maxAttempts` attempts and a capped
 * back-off. When the SDK gives up on throttling, a 5xx, a reset or a timeout, one middleware
 * around the whole retry chain turns that fault into {@link StorageUnavailableError} (503
 * `storage-unavailable` with `Retry-After`), for every adapter alike. A failed condition — a
 * ConditionalCheckFailedException, a TransactionCanceledException that names a condition or
 * a conflict — passes through untouched: it is the adapter's answer to interpret.
 */
export function createDocumentClient(options: DocumentClientOptions = {}): DynamoDBDocumentClient {
  const settings = { ...DYNAMO_CALL_DEFAULTS, ...defined(options) };
  const local = options.endpoint !== undefined;
  const client = new DynamoDBClient({
    endpoint: options.endpoint,
    region: options.region ?? (local ? 'local' : undefined),
    credentials:
      (options.localCredentials ?? (local && options.region === undefined))
        ? { accessKeyId: 'local', secretAccessKey: 'local' }
        : undefined,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: settings.connectionTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      throwOnRequestTimeout: true,
      socketTimeout: settings.requestTimeoutMs,
    }),
    retryStrategy: new StandardRetryStrategy({
      maxAttempts: settings.maxAttempts,
      backoff: cappedBackoff(settings.maxRetryDelayMs),
    }),
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (isStorageFault(error))
          throw new StorageUnavailableError({ cause: error, retryAfterSeconds: options.retryAfterSeconds });
        throw error;
      }
    },
    // `initialize` runs before (so wraps) the retry middleware of the `finalizeRequest` step.
    { step: 'initialize', priority: 'high', name: 'storageUnavailableMiddleware' },
  );
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/**
 * Full-jitter exponential back-off (`random × min(cap, base × 2^retry)`), with the SDK's bases
 * (it sets the throttling base before each throttled retry) and a cap of our own.
 */
function cappedBackoff(capMs: number) {
  let base = 50;
  return {
    setDelayBase(delayBase: number) {
      base = delayBase;
    },
    computeNextBackoffDelay(retry: number) {
      return Math.floor(Math.random() * Math.min(capMs, base * 2 ** retry));
    },
  };
}

/** Throttling errors DynamoDB documents (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html). */
const THROTTLING = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
]);

/** Cancellation reasons of a transaction that say the table, not the data, refused it. */
const THROTTLED_REASONS = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded']);

/** Node's codes for a connection that failed, was reset or timed out. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * True for what the SDK retried and then gave up on, or could not retry: throttling, a 5xx, a
 * network failure or a timeout, a transaction cancelled only for throttling, and a transaction
 * whose earlier attempt (same ClientRequestToken) is still in progress.
 */
export function isStorageFault(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const sdk = error as Error & {
    code?: unknown;
    $fault?: unknown;
    $metadata?: { httpStatusCode?: number };
    $retryable?: { throttling?: boolean };
  };
  if (error instanceof TransactionCanceledException) {
    const reasons = (error.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
    return (
      reasons.some((code) => THROTTLED_REASONS.has(code)) &&
      reasons.every((code) => code === 'None' || THROTTLED_REASONS.has(code))
    );
  }
  if (THROTTLING.has(error.name) || sdk.$retryable?.throttling === true) return true;
  if (error.name === 'TransactionInProgressException') return true;
  const status = sdk.$metadata?.httpStatusCode;
  if (sdk.$fault === 'server' || (status !== undefined && (status >= 500 || status === 429))) return true;
  if (error.name === 'TimeoutError' || error.name === 'RequestTimeout') return true;
  return typeof sdk.code === 'string' && NETWORK_CODES.has(sdk.code);
}

/** The options that are set (an explicit `undefined` must not replace a default). */
function defined(options: DocumentClientOptions): Partial<typeof DYNAMO_CALL_DEFAULTS> {
  return Object.fromEntries(
    Object.entries(options).filter(([key, value]) => value !== undefined && key in DYNAMO_CALL_DEFAULTS),
  );
}
