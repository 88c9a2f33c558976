import type { FunctionDefinition } from './function-definition.js';

export type { TableAction } from './function-definition.js';

/**
 * One route of the HTTP API and the function behind it. This manifest is the single source of
 * the API's shape: the local server routes with it, and the CDK API stack creates one function
 * per entry from it, granting exactly the `tables` and `secrets` listed and setting the
 * `settings` it names. It is plain data (no imports of handlers), so a function that reads it,
 * such as the fallback, bundles no handler. The functions without a route are in functions.ts.
 */
export interface RouteDefinition extends FunctionDefinition {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';
  /** API Gateway path syntax (`/links/{id}`). */
  path: string;
  /**
   * `aws-iam`: API Gateway's AWS IAM authorization (SigV4) guards the route, so only principals
   * given the stack's admin policy reach it; the local server checks a real signature instead.
   */
  authorization?: 'aws-iam';
}

export const ROUTES: readonly RouteDefinition[] = [
  {
    method: 'GET',
    path: '/health',
    handler: 'health',
    tables: [],
    secrets: [],
    settings: [],
    // No dependency touched: the smallest size answers in a few milliseconds.
    sizing: { memoryMb: 256, timeoutSeconds: 3 },
  },
  {
    method: 'POST',
    path: '/links',
    handler: 'links-post',
    tables: [
      // The link's two items and its audit event in one transaction (Put); relink/conflict events;
      // an idempotent relink records what LINE's friendship status API said on the link (Update).
      { table: 'links', actions: ['PutItem', 'UpdateItem'] },
      { table: 'audit', actions: ['PutItem'] },
      // Friendship, in the link's transaction: learned from LINE's friendship status API when the
      // bearer is an access token (Update, newer wins), or taken over from what the webhook
      // learned before (ConditionCheck; Get when a failed check did not return the item).
      { table: 'messaging', actions: ['ConditionCheckItem', 'GetItem', 'UpdateItem'] },
      // The company token bound to the LINE user who presented it (`COMPANYTOKEN#…`, expiring),
      // in the link's transaction or at an idempotent relink (Put, conditional); with
      // LINE_REQUIRE_NONCE, the nonce of POST /links/nonce used up in the link's transaction
      // (`LINKNONCE#…`, Update, conditional).
      { table: 'sessions', actions: ['PutItem', 'UpdateItem'] },
    ],
    // Company access tokens checked by introspection authenticate as the web flow's client.
    secrets: ['COMPANY_OIDC_CLIENT_SECRET', 'COMPANY_OIDC_PRIVATE_KEY'],
    settings: ['line', 'company-oidc', 'audit'],
  },
  {
    // Pattern 3. Settings group 'member-factors' = MEMBER_FACTORS and the ATTEMPTS_* limits.
    method: 'POST',
    path: '/links/by-record',
    handler: 'links-by-record-post',
    tables: [
      { table: 'links', actions: ['PutItem'] },
      { table: 'audit', actions: ['PutItem'] },
      // A new link takes over the friendship the webhook learned, in its transaction.
      { table: 'messaging', actions: ['ConditionCheckItem', 'GetItem'] },
      { table: 'members', actions: ['GetItem'] },
      // Counters move in transactions (UpdateItem, a PutItem that restarts a window, DeleteItem
      // on success) and are read back (GetItem).
      { table: 'attempts', actions: ['UpdateItem', 'PutItem', 'GetItem', 'DeleteItem'] },
    ],
    secrets: ['MEMBER_HASH_PEPPER'],
    settings: ['line', 'member-factors', 'audit'],
  },
  {
    // Pattern 2. Settings group 'company-api' = COMPANY_API_URL, _AUTH, _TOKEN_URL, _CLIENT_ID,
    // _SCOPE, _KEY_HEADER; the function calls the company API (up to 2 × timeout + back-off).
    method: 'POST',
    path: '/links/by-api',
    handler: 'links-by-api-post',
    tables: [
      { table: 'links', actions: ['PutItem'] },
      { table: 'audit', actions: ['PutItem'] },
      { table: 'messaging', actions: ['ConditionCheckItem', 'GetItem'] },
      { table: 'attempts', actions: ['UpdateItem', 'PutItem', 'GetItem', 'DeleteItem'] },
    ],
    secrets: ['COMPANY_API_CLIENT_SECRET', 'COMPANY_API_KEY'],
    settings: ['line', 'member-factors', 'company-api', 'audit'],
    // Token fetch plus the company API call with one retry after back-off, each with a 3 s timeout.
    sizing: { timeoutSeconds: 25 },
  },
  {
    method: 'GET',
    path: '/links/me',
    handler: 'links-me-get',
    tables: [{ table: 'links', actions: ['GetItem'] }],
    secrets: [],
    settings: ['line'],
  },
  {
    method: 'GET',
    path: '/links/me/history',
    handler: 'links-me-history-get',
    tables: [{ table: 'audit', actions: ['Query'] }],
    secrets: [],
    settings: ['line'],
  },
  {
    method: 'DELETE',
    path: '/links/me',
    handler: 'links-me-delete',
    tables: [
      // Reads the link, then deletes both items and records the event in one transaction.
      { table: 'links', actions: ['GetItem', 'DeleteItem'] },
      { table: 'audit', actions: ['PutItem'] },
    ],
    // The LINE Login channel secret issues the channel access token of deauthorize.
    secrets: ['LINE_CHANNEL_SECRET'],
    settings: ['line', 'audit'],
  },
  // Web flow (docs/web-flow.md): LINE web login chained with the company IdP, linked at the end.
  {
    method: 'GET',
    path: '/auth/line/login',
    handler: 'auth-line-login-get',
    tables: [{ table: 'sessions', actions: ['PutItem'] }],
    secrets: [],
    settings: ['line', 'company-oidc', 'web'],
  },
  {
    method: 'GET',
    path: '/auth/line/callback',
    handler: 'auth-line-callback-get',
    tables: [
      // Consumes the LINE leg's session (conditional DeleteItem) and stores the company leg's.
      { table: 'sessions', actions: ['DeleteItem', 'PutItem'] },
      // friendship_status_changed=true (bot_prompt): the user is a friend of the Official Account.
      { table: 'messaging', actions: ['UpdateItem'] },
      { table: 'links', actions: ['UpdateItem'] },
    ],
    secrets: ['LINE_CHANNEL_SECRET'],
    settings: ['line', 'company-oidc', 'web'],
  },
  {
    method: 'POST',
    path: '/auth/company/start',
    handler: 'auth-company-start-post',
    tables: [{ table: 'sessions', actions: ['PutItem'] }],
    secrets: [],
    settings: ['line', 'company-oidc', 'web'],
  },
  {
    method: 'GET',
    path: '/auth/company/callback',
    handler: 'auth-company-callback-get',
    tables: [
      { table: 'sessions', actions: ['DeleteItem'] },
      { table: 'links', actions: ['PutItem'] },
      { table: 'audit', actions: ['PutItem'] },
      // Pattern 4 shares this callback: it reads the LINE user of the session's link token
      // (Get) and stores the account-link nonce bound to that user (Put); a new link takes over
      // the known friendship in its transaction (ConditionCheck; Get when the check returned no item).
      { table: 'messaging', actions: ['PutItem', 'ConditionCheckItem', 'GetItem'] },
    ],
    secrets: ['COMPANY_OIDC_CLIENT_SECRET', 'COMPANY_OIDC_PRIVATE_KEY'],
    settings: ['line', 'company-oidc', 'web', 'audit'],
  },
  // Messaging API (pattern 4 and reachability). Settings group 'messaging' = LINE_MESSAGING_CHANNEL_ID
  // and the bot's settings. The webhook calls LINE only for the bot's user ID (GET /v2/bot/info,
  // once per environment); its replies and link tokens are queued for `webhook-work-sqs`.
  {
    method: 'POST',
    path: '/webhook/line',
    handler: 'webhook-line-post',
    tables: [
      // Each event in one transaction: its claim (conditional Put), friendship newer-wins
      // (Update), the nonce it uses up (Delete); reads of the friendship and the nonce it is
      // planned on (Get); a new link's check of the known friendship (ConditionCheck).
      {
        table: 'messaging',
        actions: ['PutItem', 'UpdateItem', 'DeleteItem', 'GetItem', 'ConditionCheckItem'],
      },
      // The user's link read (Get); accountLink creates one (Put); friend on it (Update, or
      // ConditionCheck that it is still as read, or still absent); unfollow may unlink (Delete).
      { table: 'links', actions: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem'] },
      { table: 'audit', actions: ['PutItem'] },
    ],
    secrets: ['LINE_MESSAGING_CHANNEL_SECRET'],
    settings: ['line', 'messaging', 'audit'],
    // The linking URL of pattern 4 is offered only when that route is deployed.
    variables: ['API_ROUTES'],
    queues: ['webhook-work'],
  },
  {
    method: 'GET',
    path: '/account-link/start',
    handler: 'account-link-start-get',
    tables: [
      { table: 'sessions', actions: ['PutItem'] },
      // The link token must be one the bot issued (and to whom): `LINKTOKEN#…` (Get).
      { table: 'messaging', actions: ['GetItem'] },
    ],
    secrets: [],
    settings: ['line', 'company-oidc', 'web', 'messaging', 'account-link'],
  },
  // Admin API (the company's own systems): AWS IAM authorization, never public.
  {
    method: 'GET',
    path: '/admin/links/company/{companyUserId}',
    handler: 'admin-links-company-get',
    tables: [
      // The company side, then the LINE side (reachability lives there).
      { table: 'links', actions: ['GetItem'] },
      { table: 'audit', actions: ['PutItem'] },
    ],
    secrets: [],
    settings: ['audit'],
    authorization: 'aws-iam',
  },
  {
    method: 'GET',
    path: '/admin/links/line/{lineUserId}',
    handler: 'admin-links-line-get',
    tables: [
      { table: 'links', actions: ['GetItem'] },
      { table: 'audit', actions: ['PutItem'] },
    ],
    secrets: [],
    settings: ['audit'],
    authorization: 'aws-iam',
  },
  {
    // Reason `erasure-request` erases the member from every table (audit: pseudonyms, keyed
    // with a key derived from the pepper).
    method: 'POST',
    path: '/admin/links/company/{companyUserId}/unlink',
    handler: 'admin-links-unlink-post',
    tables: [
      // The unlink: read, then both items and the event in one transaction. An erasure reads
      // whether a former LINE user of the member is linked elsewhere now (Get) and deletes what is
      // left of the member's links by key (Delete, never a Scan of links).
      { table: 'links', actions: ['GetItem', 'DeleteItem'] },
      // Events appended; an erasure finds the events naming the member or its LINE users (Scan)
      // and rewrites them with pseudonyms (Put, or Delete + Put when the key changes).
      { table: 'audit', actions: ['PutItem', 'Scan', 'DeleteItem'] },
      // Erasure only: every other table is read by Scan for items naming the member or its LINE
      // users; those are deleted (records, counters, sessions, friendships, nonces, link tokens)
      // or, in message jobs, pseudonymized in place (conditional Update).
      { table: 'members', actions: ['Scan', 'DeleteItem'] },
      { table: 'attempts', actions: ['Scan', 'DeleteItem'] },
      { table: 'sessions', actions: ['Scan', 'DeleteItem'] },
      { table: 'messaging', actions: ['Scan', 'DeleteItem'] },
      { table: 'jobs', actions: ['Scan', 'UpdateItem'] },
    ],
    secrets: ['MEMBER_HASH_PEPPER'],
    settings: ['audit'],
    authorization: 'aws-iam',
  },
  {
    method: 'POST',
    path: '/admin/members/{memberId}/unlock',
    handler: 'admin-members-unlock-post',
    tables: [
      { table: 'attempts', actions: ['DeleteItem'] },
      { table: 'audit', actions: ['PutItem'] },
    ],
    secrets: [],
    settings: ['audit'],
    authorization: 'aws-iam',
  },
  {
    // ≤ 500 recipients: sent within the request; more: a job (202) run by the queue worker.
    method: 'POST',
    path: '/admin/messages',
    handler: 'admin-messages-post',
    tables: [
      // Recipients resolved in batches: company side, then LINE side (reachability).
      { table: 'links', actions: ['BatchGetItem'] },
      // A large send: the job and its batches are written before the batches are queued.
      // An Idempotency-Key: its record is claimed (PutItem), taken over after a lapsed lease,
      // completed or released (UpdateItem), and a job's META is written with the key's answer
      // in one transaction (PutItem + UpdateItem).
      { table: 'jobs', actions: ['PutItem', 'BatchWriteItem', 'UpdateItem'] },
      { table: 'audit', actions: ['PutItem'] },
    ],
    secrets: ['LINE_MESSAGING_CHANNEL_SECRET'],
    settings: ['messaging', 'audit'],
    // A large send's batches, for the worker.
    queues: ['message-batches'],
    authorization: 'aws-iam',
  },
  {
    method: 'GET',
    path: '/admin/messages/jobs/{jobId}',
    handler: 'admin-messages-job-get',
    tables: [{ table: 'jobs', actions: ['GetItem', 'Query'] }],
    secrets: [],
    settings: [],
    authorization: 'aws-iam',
  },
  {
    // Seed 001: a one-time nonce for an app's LINE login, required by POST /links where
    // LINE_REQUIRE_NONCE is on. No LINE bearer (the app has not logged in yet).
    method: 'POST',
    path: '/links/nonce',
    handler: 'links-nonce-post',
    // `LINKNONCE#…` with its TTL (Put, conditional).
    tables: [{ table: 'sessions', actions: ['PutItem'] }],
    secrets: [],
    settings: ['company-oidc'],
    sizing: { memoryMb: 256, timeoutSeconds: 6 },
  },
  {
    // A job (202) run by the audience worker: members to LINE user IDs, uploaded to an audience.
    method: 'POST',
    path: '/admin/audiences',
    handler: 'admin-audiences-post',
    tables: [
      // The job's parts (BatchWriteItem) and META (PutItem); an Idempotency-Key: its record is
      // claimed (PutItem), taken over, completed or released (UpdateItem), and the META is
      // written with the key's answer in one transaction (PutItem + UpdateItem).
      { table: 'jobs', actions: ['PutItem', 'BatchWriteItem', 'UpdateItem'] },
      { table: 'audit', actions: ['PutItem'] },
    ],
    secrets: [],
    // Deployed with the audience worker, which needs the Messaging API channel.
    settings: ['messaging', 'audit'],
    queues: ['audience-jobs'],
    authorization: 'aws-iam',
  },
  {
    method: 'GET',
    path: '/admin/audiences/jobs/{jobId}',
    handler: 'admin-audiences-job-get',
    tables: [{ table: 'jobs', actions: ['GetItem', 'Query'] }],
    secrets: [],
    settings: ['messaging'],
    authorization: 'aws-iam',
  },
];

/** Catches every request no route matches (API Gateway's `$default` route): 404 or 405. */
export const FALLBACK_ROUTE = {
  handler: 'fallback',
  tables: [],
  secrets: [],
  settings: [],
  // It answers 405 only for methods of routes the deployment really has.
  variables: ['API_ROUTES'],
  commonVariables: false,
  sizing: { memoryMb: 256, timeoutSeconds: 3 },
} as const satisfies FunctionDefinition;

/** Does an API Gateway route path (with `{param}` / `{proxy+}`) match a request path? */
export function matchPath(routePath: string, requestPath: string): Record<string, string> | undefined {
  const routeParts = routePath.split('/').filter(Boolean);
  const requestParts = requestPath.split('/').filter(Boolean);
  const params: Record<string, string> = {};
  for (let i = 0; i < routeParts.length; i++) {
    const part = routeParts[i]!;
    const greedy = part.match(/^\{(.+)\+\}$/);
    if (greedy) {
      if (i >= requestParts.length) return undefined;
      params[greedy[1]!] = requestParts.slice(i).join('/');
      return params;
    }
    const value = requestParts[i];
    if (value === undefined) return undefined;
    const param = part.match(/^\{(.+)\}$/);
    if (param) params[param[1]!] = decodeURIComponent(value);
    else if (part !== value) return undefined;
  }
  return routeParts.length === requestParts.length ? params : undefined;
}
