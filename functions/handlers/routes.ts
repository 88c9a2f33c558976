import type { TableKey } from '../adapters/dynamo/table-definitions.js';

/**
 * One route of the HTTP API. This manifest is the single source of the API's shape: the local
 * server routes with it, and the CDK API stack creates one function per entry from it, granting
 * exactly the `tables` and `secrets` listed and setting the `settings` it names. It is plain data
 * (no imports of handlers), so a function that reads it, such as the fallback, bundles no handler.
 */
export interface RouteDefinition {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';
  /** API Gateway path syntax (`/links/{id}`). */
  path: string;
  /** File under functions/handlers/ (without extension) that exports `handler`. */
  handler: string;
  /** DynamoDB tables the function uses, and how. */
  tables: ReadonlyArray<{ table: TableKey; access: 'read' | 'write' | 'read-write' }>;
  /** Secrets the function reads (the variable names of DESIGN.md; `_ARN` in Lambda). */
  secrets: ReadonlyArray<
    | 'LINE_CHANNEL_SECRET'
    | 'COMPANY_OIDC_CLIENT_SECRET'
    | 'MEMBER_HASH_PEPPER'
    | 'COMPANY_API_CLIENT_SECRET'
    | 'COMPANY_API_KEY'
    | 'LINE_MESSAGING_CHANNEL_SECRET'
  >;
  /** Setting groups (environment variables) the function needs. */
  settings: ReadonlyArray<'line' | 'company-oidc' | 'web' | 'company-api' | 'member-factors' | 'messaging'>;
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
  },
  {
    method: 'POST',
    path: '/links',
    handler: 'links-post',
    tables: [
      { table: 'links', access: 'read-write' },
      { table: 'audit', access: 'write' },
    ],
    secrets: [],
    settings: ['line', 'company-oidc'],
  },
  {
    // Pattern 3. Settings group 'member-factors' = MEMBER_FACTORS and the ATTEMPTS_* limits.
    method: 'POST',
    path: '/links/by-record',
    handler: 'links-by-record-post',
    tables: [
      { table: 'links', access: 'read-write' },
      { table: 'audit', access: 'write' },
      { table: 'members', access: 'read' },
      { table: 'attempts', access: 'read-write' },
    ],
    secrets: ['MEMBER_HASH_PEPPER'],
    settings: ['line', 'member-factors'],
  },
  {
    // Pattern 2. Settings group 'company-api' = COMPANY_API_URL, _AUTH, _TOKEN_URL, _CLIENT_ID,
    // _SCOPE, _KEY_HEADER; the function calls the company API (up to 2 × timeout + back-off).
    method: 'POST',
    path: '/links/by-api',
    handler: 'links-by-api-post',
    tables: [
      { table: 'links', access: 'read-write' },
      { table: 'audit', access: 'write' },
      { table: 'attempts', access: 'read-write' },
    ],
    secrets: ['COMPANY_API_CLIENT_SECRET', 'COMPANY_API_KEY'],
    settings: ['line', 'member-factors', 'company-api'],
  },
  {
    method: 'GET',
    path: '/links/me',
    handler: 'links-me-get',
    tables: [{ table: 'links', access: 'read' }],
    secrets: [],
    settings: ['line'],
  },
  {
    method: 'GET',
    path: '/links/me/history',
    handler: 'links-me-history-get',
    tables: [{ table: 'audit', access: 'read' }],
    secrets: [],
    settings: ['line'],
  },
  {
    method: 'DELETE',
    path: '/links/me',
    handler: 'links-me-delete',
    tables: [
      { table: 'links', access: 'read-write' },
      { table: 'audit', access: 'write' },
    ],
    // The LINE Login channel secret issues the channel access token of deauthorize.
    secrets: ['LINE_CHANNEL_SECRET'],
    settings: ['line'],
  },
  // Web flow (issue 3): LINE web login chained with the company IdP, linked at the end.
  {
    method: 'GET',
    path: '/auth/line/login',
    handler: 'auth-line-login-get',
    tables: [{ table: 'sessions', access: 'write' }],
    secrets: [],
    settings: ['line', 'company-oidc', 'web'],
  },
  {
    method: 'GET',
    path: '/auth/line/callback',
    handler: 'auth-line-callback-get',
    tables: [{ table: 'sessions', access: 'read-write' }],
    secrets: ['LINE_CHANNEL_SECRET'],
    settings: ['line', 'company-oidc', 'web'],
  },
  {
    method: 'POST',
    path: '/auth/company/start',
    handler: 'auth-company-start-post',
    tables: [{ table: 'sessions', access: 'write' }],
    secrets: [],
    settings: ['line', 'company-oidc', 'web'],
  },
  {
    method: 'GET',
    path: '/auth/company/callback',
    handler: 'auth-company-callback-get',
    tables: [
      { table: 'sessions', access: 'read-write' },
      { table: 'links', access: 'read-write' },
      { table: 'audit', access: 'write' },
    ],
    secrets: ['COMPANY_OIDC_CLIENT_SECRET'],
    settings: ['line', 'company-oidc', 'web'],
  },
  // Admin API (the company's own systems): AWS IAM authorization, never public.
  {
    method: 'GET',
    path: '/admin/links/company/{companyUserId}',
    handler: 'admin-links-company-get',
    tables: [
      { table: 'links', access: 'read' },
      { table: 'audit', access: 'write' },
    ],
    secrets: [],
    settings: [],
    authorization: 'aws-iam',
  },
  {
    method: 'GET',
    path: '/admin/links/line/{lineUserId}',
    handler: 'admin-links-line-get',
    tables: [
      { table: 'links', access: 'read' },
      { table: 'audit', access: 'write' },
    ],
    secrets: [],
    settings: [],
    authorization: 'aws-iam',
  },
  {
    // Reason `erasure-request` erases the member from every table (audit: pseudonyms, keyed
    // with a key derived from the pepper).
    method: 'POST',
    path: '/admin/links/company/{companyUserId}/unlink',
    handler: 'admin-links-unlink-post',
    tables: [
      { table: 'links', access: 'read-write' },
      { table: 'audit', access: 'read-write' },
      { table: 'members', access: 'read-write' },
      { table: 'attempts', access: 'read-write' },
      { table: 'sessions', access: 'read-write' },
    ],
    secrets: ['MEMBER_HASH_PEPPER'],
    settings: [],
    authorization: 'aws-iam',
  },
  {
    method: 'POST',
    path: '/admin/members/{memberId}/unlock',
    handler: 'admin-members-unlock-post',
    tables: [
      { table: 'attempts', access: 'read-write' },
      { table: 'audit', access: 'write' },
    ],
    secrets: [],
    settings: [],
    authorization: 'aws-iam',
  },
  {
    // ≤ 500 recipients: sent within the request; more: a job (202) run by the queue worker.
    method: 'POST',
    path: '/admin/messages',
    handler: 'admin-messages-post',
    tables: [
      { table: 'links', access: 'read' },
      { table: 'jobs', access: 'read-write' },
      { table: 'audit', access: 'write' },
    ],
    secrets: ['LINE_MESSAGING_CHANNEL_SECRET'],
    settings: ['messaging'],
    authorization: 'aws-iam',
  },
  {
    method: 'GET',
    path: '/admin/messages/jobs/{jobId}',
    handler: 'admin-messages-job-get',
    tables: [{ table: 'jobs', access: 'read' }],
    secrets: [],
    settings: [],
    authorization: 'aws-iam',
  },
];

/**
 * The worker of message jobs (SQS → Lambda, not an HTTP route): one batch of ≤ 500 recipients
 * per message. Locally the API process runs the batches itself.
 */
export const MESSAGE_WORKER = {
  handler: 'messages-batch-sqs',
  tables: [
    { table: 'links', access: 'read' },
    { table: 'jobs', access: 'read-write' },
  ],
  secrets: ['LINE_MESSAGING_CHANNEL_SECRET'],
  settings: ['messaging'],
} as const satisfies Pick<RouteDefinition, 'handler' | 'tables' | 'secrets' | 'settings'>;

/** Catches every request no route matches (API Gateway's `$default` route): 404 or 405. */
export const FALLBACK_ROUTE = {
  handler: 'fallback',
} as const;

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
