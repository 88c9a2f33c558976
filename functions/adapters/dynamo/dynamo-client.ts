import { DynamoDBClient, type TransactionCanceledException } from '@aws-sdk/client-dynamodb';
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
  /**
   * The engine is a local one ({@link LOCAL_ENGINE_CALL_DEFAULTS} apply); default: when an
   * endpoint is set.
   */
  localEngine?: boolean;
  /** The client reads whole tables from a command line ({@link TABLE_SCAN_CALL_DEFAULTS} apply). */
  tableScans?: boolean;
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
 * What changes for a local engine (DynamoDB Local, directly or behind the deployed-artifact
 * mode's endpoint): it runs transactions one at a time, and 50 parallel ones on a busy two-core
 * machine take seconds, far beyond DynamoDB's milliseconds.
 */
export const LOCAL_ENGINE_CALL_DEFAULTS = { requestTimeoutMs: 10_000 } as const;

/**
 * What changes for a command line's whole-table reads (`npm run export`): it has no function
 * timeout to fit in, and a page of a filtered Scan may take a while, so an attempt may take 10 s
 * and a call is retried a little more than a function's.
 */
export const TABLE_SCAN_CALL_DEFAULTS = { requestTimeoutMs: 10_000, maxAttempts: 5 } as const;

/**
 * The longest one call can take, its retries and back-off included:
 * `maxAttempts × requestTimeoutMs + (maxAttempts − 1) × maxRetryDelayMs` — 8 s with the
 * defaults. The tightest function that calls DynamoDB (every API route) has 15 s
 * (lib/api-stack.ts); a request that meets a stalled DynamoDB is answered 503 well before it.
 * (DynamoDB sends no `Retry-After`; a proxy that did could stretch one back-off by up to 5 s.)
 */
export function dynamoCallBudgetMs(options: DocumentClientOptions = {}): number {
  const { requestTimeoutMs, maxAttempts, maxRetryDelayMs } = callSettings(options);
  return maxAttempts * requestTimeoutMs + (maxAttempts - 1) * maxRetryDelayMs;
}

/**
 * One DynamoDB document client per execution environment, over {@link createDynamoClient}
 * (undefined attributes are dropped when items are written).
 */
export function createDocumentClient(options: DocumentClientOptions = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(createDynamoClient(options), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/**
 * The low-level DynamoDB client every DynamoDB caller of the service is built on (the document
 * client of the functions, the command lines' raw scans, the local engine's tables). With an
 * `endpoint` (DynamoDB Local) the region defaults to `local` and static dummy credentials are
 * used unless real ones are configured.
 *
 * Every call is bounded ({@link dynamoCallBudgetMs}): a connection timeout, a timeout per
 * attempt (an error, not the SDK's default warning), at most `maxAttempts` attempts and a capped
 * back-off. When the SDK gives up on throttling, a 5xx, a reset or a timeout, one middleware
 * around the whole retry chain turns that fault into {@link StorageUnavailableError} (503
 * `storage-unavailable` with `Retry-After`), for every adapter alike. A failed condition — a
 * ConditionalCheckFailedException, a TransactionCanceledException that names a condition or
 * a conflict — passes through untouched: it is the adapter's answer to interpret.
 */
export function createDynamoClient(options: DocumentClientOptions = {}): DynamoDBClient {
  const settings = callSettings(options);
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
  return client;
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
 * network failure or a timeout (also one that reached us without its details: retried, and never
 * an answer), a transaction cancelled only for throttling, and a transaction whose earlier
 * attempt (same ClientRequestToken) is still in progress. Read by name and fields, not by class,
 * so an error made in another realm (Node's own socket errors under a test runner) is read alike.
 */
export function isStorageFault(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const sdk = error as {
    name?: unknown;
    code?: unknown;
    $fault?: unknown;
    $metadata?: { httpStatusCode?: number; attempts?: number };
    $retryable?: { throttling?: boolean };
    CancellationReasons?: TransactionCanceledException['CancellationReasons'];
  };
  const name = typeof sdk.name === 'string' ? sdk.name : '';
  if (name === 'TransactionCanceledException') {
    const reasons = (sdk.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
    return (
      reasons.some((code) => THROTTLED_REASONS.has(code)) &&
      reasons.every((code) => code === 'None' || THROTTLED_REASONS.has(code))
    );
  }
  if (THROTTLING.has(name) || sdk.$retryable?.throttling === true) return true;
  if (name === 'TransactionInProgressException') return true;
  const status = sdk.$metadata?.httpStatusCode;
  if (sdk.$fault === 'server' || (status !== undefined && (status >= 500 || status === 429))) return true;
  if (name === 'TimeoutError' || name === 'RequestTimeout') return true;
  if (typeof sdk.code === 'string' && NETWORK_CODES.has(sdk.code)) return true;
  return status === undefined && (sdk.$metadata?.attempts ?? 0) > 1;
}

/** The timeouts and attempts of a client: the defaults (a local engine's), then the options that are set. */
function callSettings(options: DocumentClientOptions): Record<keyof typeof DYNAMO_CALL_DEFAULTS, number> {
  const local = options.localEngine ?? options.endpoint !== undefined;
  const set = Object.fromEntries(
    Object.entries(options).filter(([key, value]) => value !== undefined && key in DYNAMO_CALL_DEFAULTS),
  );
  return {
    ...DYNAMO_CALL_DEFAULTS,
    ...(local ? LOCAL_ENGINE_CALL_DEFAULTS : {}),
    ...(options.tableScans ? TABLE_SCAN_CALL_DEFAULTS : {}),
    ...set,
  };
}

/**
 * True when DynamoDB answered that the table does not exist (ResourceNotFoundException; read by
 * name like {@link isStorageFault}): a command line then tells the user to check its target.
 */
export function isMissingTable(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'ResourceNotFoundException';
}
