import type { VariableName } from './config-schema.js';
import type { TableKey } from './table-definitions.js';

/**
 * DynamoDB item actions a function can be granted (IAM `dynamodb:<action>`), named exactly as
 * IAM names them. A TransactWriteItems needs no action of its own: DynamoDB authorizes each item
 * with the action of its kind (Put → PutItem, Delete → DeleteItem, ConditionCheck →
 * ConditionCheckItem), https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
 */
export type TableAction =
  | 'GetItem'
  | 'BatchGetItem'
  | 'Query'
  | 'Scan'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'BatchWriteItem'
  | 'ConditionCheckItem';

/**
 * The SQS queues of the service, each with the variable that carries its URL to a function that
 * sends to it. Their consumers are functions with an `sqs` trigger.
 */
export const QUEUES = {
  /** Message-job batches (≤ 500 recipients each), run by `messages-batch-sqs`. */
  'message-batches': { envVar: 'MESSAGE_QUEUE_URL' },
  /** The webhook's LINE work (replies, link tokens), done by `webhook-work-sqs`. */
  'webhook-work': { envVar: 'WEBHOOK_QUEUE_URL' },
  /** Audience jobs (`{jobId, batch}`: the job, from its first chunk not done), run by `audience-jobs-sqs`. */
  'audience-jobs': { envVar: 'AUDIENCE_QUEUE_URL' },
} as const satisfies Record<string, { envVar: VariableName }>;
export type QueueKey = keyof typeof QUEUES;

/** The EventBridge buses the service publishes to, with the variable that names each. */
export const EVENT_BUSES = {
  /** Link events for the company's systems (docs/link-events.md). */
  'link-events': { envVar: 'LINK_EVENT_BUS_NAME' },
} as const satisfies Record<string, { envVar: VariableName }>;
export type EventBusKey = keyof typeof EVENT_BUSES;

/** The S3 buckets functions read, with the variable that names each. */
export const BUCKETS = {
  /** Member CSV uploads of pattern 3's import (private, expiring). */
  import: { envVar: 'IMPORT_BUCKET' },
} as const satisfies Record<string, { envVar: string }>;
export type BucketKey = keyof typeof BUCKETS;

/** Memory (MB) and timeout (seconds) of a function. */
export interface Sizing {
  memoryMb: number;
  timeoutSeconds: number;
}

/** The size of a function whose entry names none: enough for a request's few calls. */
export const DEFAULT_SIZING: Sizing = { memoryMb: 512, timeoutSeconds: 15 };

/**
 * What one function is and uses, HTTP or not: the CDK app creates it from its entry, sets its
 * variables and grants it exactly what is listed here, all in one place (lib/function-wiring.ts),
 * so a function never holds a grant its entry does not name.
 */
export interface FunctionDefinition {
  /** Names the function: the handler's file (without extension) that exports `handler`. */
  handler: string;
  /**
   * DynamoDB tables the function uses, each with exactly the actions its adapters send (least
   * privilege: a function that only reads one item gets GetItem, not Query or Scan). The audit
   * table is append-only for request functions: PutItem (conditional, in or outside the link's
   * transaction), never UpdateItem or DeleteItem.
   */
  tables: ReadonlyArray<{ table: TableKey; actions: readonly TableAction[] }>;
  /** Secrets the function reads (the variable names of README.md, "Configuration"; `_ARN` in Lambda). */
  secrets: ReadonlyArray<
    | 'LINE_CHANNEL_SECRET'
    | 'LINE_MESSAGING_CHANNEL_SECRET'
    | 'COMPANY_OIDC_CLIENT_SECRET'
    | 'COMPANY_OIDC_PRIVATE_KEY'
    | 'MEMBER_HASH_PEPPER'
    | 'COMPANY_API_CLIENT_SECRET'
    | 'COMPANY_API_KEY'
  >;
  /**
   * Setting groups (environment variables) the function needs; `audit` for those that append to
   * the trail. The function is deployed only when all of them are enabled.
   */
  settings: ReadonlyArray<
    | 'line'
    | 'company-oidc'
    | 'web'
    | 'company-api'
    | 'member-factors'
    | 'audit'
    | 'messaging'
    | 'account-link'
    | 'rich-menu'
  >;
  /**
   * Single variables besides the groups': deployment settings, or values the CDK app computes
   * (`API_ROUTES`, the deployed routes).
   */
  variables?: readonly VariableName[];
  /**
   * False for a function that reads none of the variables every other function receives (the
   * outbound timeout, the CORS origins: lib/settings.ts `COMMON_VARIABLES`).
   */
  commonVariables?: false;
  /** Queues the function sends to (SendMessage only). */
  queues?: readonly QueueKey[];
  /** Buses the function publishes to (PutEvents only). */
  eventBuses?: readonly EventBusKey[];
  /** Objects the function reads (GetObject under `prefix` only). */
  objects?: ReadonlyArray<{ bucket: BucketKey; prefix: string }>;
  /** Where it differs from {@link DEFAULT_SIZING}. */
  sizing?: Partial<Sizing>;
}
