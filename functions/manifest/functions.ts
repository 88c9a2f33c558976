import type { BucketKey, FunctionDefinition, QueueKey } from './function-definition.js';
import { FALLBACK_ROUTE, ROUTES, type RouteDefinition } from './routes.js';
import type { TableKey } from './table-definitions.js';

/** What starts a function that is not an HTTP route. */
export type EventTrigger =
  /** Messages of one of the service's queues, in batches. */
  | { kind: 'sqs'; queue: QueueKey }
  /** An object created in a bucket, under `prefix` and ending in `suffix`. */
  | { kind: 's3-object-created'; bucket: BucketKey; prefix: string; suffix: string }
  /** The change stream of a table (old and new images). */
  | { kind: 'dynamodb-stream'; table: TableKey };

/** A function started by an event rather than an HTTP request. */
export interface EventFunctionDefinition extends FunctionDefinition {
  trigger: EventTrigger;
  /** What it does, for its description in the console. */
  description: string;
}

/**
 * The worker of message jobs: one batch of ≤ 500 recipients per message. Locally the API
 * process runs the batches itself.
 */
export const MESSAGE_WORKER = {
  handler: 'messages-batch-sqs',
  description: 'message job worker',
  trigger: { kind: 'sqs', queue: 'message-batches' },
  tables: [
    { table: 'links', actions: ['BatchGetItem'] },
    // Reads its batch, then records its results and the job's progress in one transaction.
    { table: 'jobs', actions: ['GetItem', 'UpdateItem'] },
  ],
  secrets: ['LINE_MESSAGING_CHANNEL_SECRET'],
  settings: ['messaging'],
  sizing: { memoryMb: 512, timeoutSeconds: 300 },
} as const satisfies EventFunctionDefinition;

/**
 * The worker of audience jobs: one job per message, run chunk after chunk (LINE takes one upload
 * per audience at a time); a run near its timeout queues the job again. Locally the API process
 * runs the jobs itself.
 */
export const AUDIENCE_WORKER = {
  handler: 'audience-jobs-sqs',
  description: 'audience job worker',
  trigger: { kind: 'sqs', queue: 'audience-jobs' },
  tables: [
    { table: 'links', actions: ['BatchGetItem'] },
    // Reads the job and its parts, stores each part's resolution, counts chunks and create
    // attempts, records the audience and its errors (conditional Updates).
    { table: 'jobs', actions: ['GetItem', 'UpdateItem'] },
    // The job's start and end, with the caller who started it.
    { table: 'audit', actions: ['PutItem'] },
  ],
  secrets: ['LINE_MESSAGING_CHANNEL_SECRET'],
  settings: ['messaging', 'audit'],
  // A run that pauses queues its job again.
  queues: ['audience-jobs'],
  sizing: { memoryMb: 512, timeoutSeconds: 900 },
} as const satisfies EventFunctionDefinition;

/**
 * The webhook worker: does the LINE work of one applied webhook event per message (a link token
 * and the linking URL, or a reply), after `POST /webhook/line` answered. Locally, without
 * WEBHOOK_QUEUE_URL, the API process does it after the answer.
 */
export const WEBHOOK_WORKER = {
  handler: 'webhook-work-sqs',
  description: 'webhook worker (replies, link tokens)',
  trigger: { kind: 'sqs', queue: 'webhook-work' },
  tables: [
    // The event's claim: read (is its work done?) and marked done (conditional Update); the link
    // token issued, with the LINE user it was issued for (Put, `LINKTOKEN#…`).
    { table: 'messaging', actions: ['GetItem', 'UpdateItem', 'PutItem'] },
  ],
  secrets: ['LINE_MESSAGING_CHANNEL_SECRET'],
  settings: ['messaging'],
  // The linking URL is offered only where pattern 4's route is deployed, as by the webhook.
  variables: ['API_ROUTES'],
  // A channel access token, a link token and a reply, each with the outbound timeout.
  sizing: { memoryMb: 512, timeoutSeconds: 30 },
} as const satisfies EventFunctionDefinition;

/** Link events for the company's systems: the links table's stream → the EventBridge bus. */
export const LINKS_STREAM = {
  handler: 'links-stream',
  description: 'link events publisher',
  trigger: { kind: 'dynamodb-stream', table: 'links' },
  tables: [],
  secrets: [],
  settings: [],
  commonVariables: false,
  eventBuses: ['link-events'],
  sizing: { memoryMb: 256, timeoutSeconds: 20 },
} as const satisfies EventFunctionDefinition;

/**
 * Rich menus by link status: the links table's stream → LINE's per-user rich menus, after each
 * link is committed. Deployed when RICH_MENU_LINKED_ID or RICH_MENU_UNLINKED_ID is set.
 */
export const RICH_MENU_STREAM = {
  handler: 'rich-menu-stream',
  description: 'rich menus by link status',
  trigger: { kind: 'dynamodb-stream', table: 'links' },
  tables: [
    // Records the menu a new link was brought to (conditional Update of its LINE side).
    { table: 'links', actions: ['UpdateItem'] },
    { table: 'audit', actions: ['PutItem'] },
  ],
  secrets: ['LINE_MESSAGING_CHANNEL_SECRET'],
  settings: ['messaging', 'rich-menu', 'audit'],
  // A channel access token, then per record one LINE call with bounded retries (back-off ≤ 4 s).
  sizing: { memoryMb: 256, timeoutSeconds: 60 },
} as const satisfies EventFunctionDefinition;

/** Upload keys of the member import: only these start an import. */
const IMPORT_UPLOADS = { prefix: 'incoming/', suffix: '.csv' } as const;

/** Pattern 3's import path in the cloud: a member CSV put in the import bucket. */
export const MEMBER_IMPORT = {
  handler: 'members-import-s3',
  description: 'S3 member import',
  trigger: { kind: 's3-object-created', bucket: 'import', ...IMPORT_UPLOADS },
  // Differential import: BatchGetItem of content hashes, BatchWriteItem of puts and deletes, a
  // one-item Scan (is the table empty?) and, with MEMBERS_IMPORT_DELETE_MISSING, a parallel Scan of keys.
  tables: [{ table: 'members', actions: ['BatchGetItem', 'BatchWriteItem', 'Scan'] }],
  secrets: ['MEMBER_HASH_PEPPER'],
  settings: ['member-factors'],
  /** Settings of the import itself (functions/config.ts, loadMemberImportSettings). */
  variables: ['MEMBERS_IMPORT_DELETE_MISSING', 'MEMBERS_IMPORT_CONCURRENCY'],
  objects: [{ bucket: 'import', prefix: IMPORT_UPLOADS.prefix }],
  sizing: { memoryMb: 1024, timeoutSeconds: 900 },
} as const satisfies EventFunctionDefinition;

/** Every function started by an event, in the order the API stack creates them. */
export const EVENT_FUNCTIONS: readonly EventFunctionDefinition[] = [
  MESSAGE_WORKER,
  WEBHOOK_WORKER,
  LINKS_STREAM,
  MEMBER_IMPORT,
  RICH_MENU_STREAM,
  AUDIENCE_WORKER,
];

/** Every function of the service: the HTTP routes, the fallback and the event functions. */
export const FUNCTIONS: ReadonlyArray<RouteDefinition | typeof FALLBACK_ROUTE | EventFunctionDefinition> = [
  ...ROUTES,
  FALLBACK_ROUTE,
  ...EVENT_FUNCTIONS,
];
