import {
  LINE_MESSAGE_TYPES,
  MAX_MESSAGES,
  MAX_RECIPIENTS,
  MAX_TEXT_LENGTH,
  MEMBER_SEND_STATUSES,
  MULTICAST_LIMIT,
} from '../../core/messages.js';
import { UNLINK_REASONS } from '../../core/ports/index.js';
import { ERROR_TABLE, errorTreatment, STATUS_TITLES } from '../../handlers/http/error-table.js';

/**
 * The OpenAPI 3.1 description of the HTTP API, served by `npm start` at `/openapi.json`. It is
 * written by hand next to the routes (functions/manifest/routes.ts) and checked against them and
 * against real responses by test/integration/openapi/openapi-conformance.test.ts: a route without
 * a path here, a problem code missing from the enum, or a response the document does not allow
 * fails that test. Problem codes and their statuses come from the one table in error-table.ts.
 */

type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const HEADERS: Record<string, Json> = {
  'WWW-Authenticate': {
    description:
      'RFC 6750 §3: `Bearer realm="line-id-link"` when no token was sent, with `error="invalid_token"` when the token failed verification.',
    required: true,
    schema: { type: 'string', pattern: '^Bearer realm="line-id-link"' },
  },
  'Retry-After': {
    description: 'Seconds until the lock ends (RFC 9110 §10.2.3); nothing is checked before then.',
    required: true,
    schema: { type: 'string', pattern: '^[1-9][0-9]*$' },
  },
  'Retry-After-Contended': {
    description:
      'With `write-contended` or `storage-unavailable`: seconds after which trying again should find the records settled or the storage back (RFC 9110 §10.2.3).',
    required: false,
    schema: { type: 'string', pattern: '^[1-9][0-9]*$' },
  },
  'Retry-After-In-Progress': {
    description:
      "With `idempotency-key-in-progress`: seconds after which the same request with the same key should get the first request's answer (RFC 9110 §10.2.3).",
    required: true,
    schema: { type: 'string', pattern: '^[1-9][0-9]*$' },
  },
  Allow: {
    description: 'The methods the path supports.',
    required: true,
    schema: { type: 'string' },
  },
  Location: { description: 'Where the browser goes next.', required: true, schema: { type: 'string' } },
};

/** A problem+json response for `status` listing the codes that answer with it on this route. */
function problemResponse(status: number, codes: readonly string[], description?: string): Json {
  for (const code of codes) {
    if (errorTreatment(code)?.status !== status && code !== 'internal-error') {
      throw new Error(`openapi: ${code} is ${errorTreatment(code)?.status}, not ${status}`);
    }
  }
  const headers: Json = {};
  if (status === 401) headers['WWW-Authenticate'] = { $ref: '#/components/headers/WWW-Authenticate' };
  if (status === 429) headers['Retry-After'] = { $ref: '#/components/headers/Retry-After' };
  if (codes.includes('write-contended') || codes.includes('storage-unavailable')) {
    headers['Retry-After'] = { $ref: '#/components/headers/Retry-After-Contended' };
  }
  if (codes.includes('idempotency-key-in-progress')) {
    headers['Retry-After'] = { $ref: '#/components/headers/Retry-After-In-Progress' };
  }
  if (status === 405) headers.Allow = { $ref: '#/components/headers/Allow' };
  return {
    description: description ?? `${STATUS_TITLES[status] ?? 'Error'}: ${codes.join(', ')}`,
    ...(Object.keys(headers).length ? { headers } : {}),
    content: {
      'application/problem+json': {
        schema: {
          allOf: [
            ref('Problem'),
            { type: 'object', properties: { status: { const: status }, code: { enum: [...codes] } } },
          ],
        },
      },
    },
  };
}

/** Groups codes by their status and builds one response per status. */
function problems(...codes: string[]): Record<string, Json> {
  const byStatus = new Map<number, string[]>();
  for (const code of codes) {
    const status = code === 'internal-error' ? 500 : errorTreatment(code)?.status;
    if (status === undefined) throw new Error(`openapi: unknown problem code ${code}`);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [String(status), problemResponse(status, list)]),
  );
}

const jsonBody = (schema: Json, description: string): Json => ({
  description,
  content: { 'application/json': { schema } },
});

/**
 * The webhook's 401. Not built by {@link problemResponse}: its 401s carry the Bearer challenge,
 * and this one has none (problem.ts sends no `WWW-Authenticate` for a bad signature, which is not
 * an HTTP authentication scheme).
 */
function webhookSignatureProblem(): Json {
  const code = 'invalid-webhook-signature';
  if (errorTreatment(code)?.status !== 401) throw new Error(`openapi: ${code} is not 401`);
  return {
    description: `Unauthorized: ${code} (x-line-signature missing or wrong; nothing was parsed, stored or called). No WWW-Authenticate.`,
    content: {
      'application/problem+json': {
        schema: { ...ref('Problem'), properties: { status: { const: 401 }, code: { const: code } } },
      },
    },
  };
}

const BEARER = [{ lineToken: [] }];
const AWS_IAM = [{ awsSigV4: [] }];
/** What every route that verifies a LINE token may answer. */
const LINE_AUTH = ['missing-line-token', 'invalid-line-token', 'line-unavailable', 'line-bad-response'];
/** What every route with a JSON body may answer before the use case runs. */
const JSON_INPUT = ['invalid-request', 'malformed-json', 'payload-too-large', 'unsupported-media-type'];
const ALWAYS = ['internal-error'];

const memberLinkOperation = (pattern: 2 | 3): Json => ({
  tags: ['links'],
  summary:
    pattern === 3
      ? 'Pattern 3: link by member data checked against the imported member records'
      : "Pattern 2: link by member data checked by the company's verification API",
  security: BEARER,
  requestBody: {
    required: true,
    content: { 'application/json': { schema: ref('MemberLinkRequest') } },
  },
  responses: {
    '201': jsonBody(ref('Link'), 'Linked.'),
    '200': jsonBody(ref('Link'), 'The same pair was already linked.'),
    ...problems(
      ...JSON_INPUT,
      ...LINE_AUTH,
      'line-user-already-linked',
      'company-user-already-linked',
      'verification-failed',
      'too-many-attempts',
      'feature-disabled',
      'write-contended',
      'storage-unavailable',
      ...(pattern === 2 ? ['company-api-unavailable', 'company-api-bad-response'] : []),
      ...ALWAYS,
    ),
  },
});

/**
 * What every `/admin/…` route may answer besides its own codes. A request without a valid AWS
 * signature is refused with 403: by API Gateway itself in the cloud (its own JSON body), by the
 * local server, and by the handler again if a route were ever deployed without its authorizer.
 */
function adminProblems(...codes: string[]): Record<string, Json> {
  const responses = problems(...codes, 'admin-forbidden', 'storage-unavailable', ...ALWAYS);
  const forbidden = responses['403'] as { description: string; content: Record<string, Json> };
  forbidden.description =
    'Forbidden: admin-forbidden (unsigned, wrongly signed or expired request, or a principal without the admin policy); nothing happened. ' +
    'In the cloud API Gateway refuses such requests itself with `application/json` `{"message": …}` (header x-amzn-ErrorType).';
  forbidden.content['application/json'] = { schema: ref('GatewayMessage') };
  return responses;
}

const companyUserIdParameter = (name: string): Json => ({
  name,
  in: 'path',
  required: true,
  schema: ref('CompanyUserId'),
});

const htmlError = (description: string): Json => ({
  description,
  content: { 'text/html': { schema: { type: 'string' } } },
});

/**
 * An HTML page of the browser routes (web-pages.ts) for `status`, listing the codes it may show
 * (`<code id="error-code">`) in `x-error-codes`; each must have `status` as its page status in
 * the error table (a cancelled sign-in is a 200 page, a refused token a 400 page).
 */
function htmlPages(status: number, codes: readonly string[], description: string): Json {
  for (const code of codes) {
    const page = code === 'internal-error' ? 500 : errorTreatment(code)?.page;
    if (page !== status) throw new Error(`openapi: the page of ${code} is ${page}, not ${status}`);
  }
  return {
    ...htmlError(`${description} (an HTML page showing its error code: ${codes.join(', ')}).`),
    'x-error-codes': [...codes],
  };
}

const LOGIN_STATE = [
  'login-state-missing',
  'login-state-unknown',
  'login-state-expired',
  'login-state-not-bound',
];
const INTERNAL_ERROR_PAGE = htmlPages(500, ALWAYS, 'Unexpected error');
const redirect = (description: string, cookie = false): Json => ({
  description,
  headers: {
    Location: { $ref: '#/components/headers/Location' },
    ...(cookie
      ? {
          'Set-Cookie': {
            description: 'The browser-binding cookie (HttpOnly, Secure, SameSite=Lax).',
            schema: { type: 'string' },
          },
        }
      : {}),
  },
});

/** The whole document; `serverUrl` is the API origin it is served from. */
export function openApiDocument(serverUrl?: string): Json {
  const paths: Record<string, Json> = {
    '/health': {
      get: {
        tags: ['operations'],
        summary: 'Liveness',
        security: [],
        responses: { '200': jsonBody(ref('Health'), 'Up.'), ...problems(...ALWAYS) },
      },
    },
    '/links': {
      post: {
        tags: ['links'],
        summary: "Pattern 1 (LIFF): link the caller's LINE account with the company account of an ID token",
        security: BEARER,
        requestBody: { required: true, content: { 'application/json': { schema: ref('LinkRequest') } } },
        responses: {
          '201': jsonBody(ref('Link'), 'Linked.'),
          '200': jsonBody(ref('Link'), 'The same pair was already linked.'),
          ...problems(
            ...JSON_INPUT,
            ...LINE_AUTH,
            'invalid-company-token',
            'company-token-replayed',
            'line-user-already-linked',
            'company-user-already-linked',
            'feature-disabled',
            'company-idp-unavailable',
            'company-idp-bad-response',
            'write-contended',
            'storage-unavailable',
            ...ALWAYS,
          ),
        },
      },
    },
    '/links/by-record': { post: memberLinkOperation(3) },
    '/links/by-api': { post: memberLinkOperation(2) },
    '/links/me': {
      get: {
        tags: ['links'],
        summary: "The caller's link",
        security: BEARER,
        responses: {
          '200': jsonBody(ref('Link'), 'Linked.'),
          ...problems(...LINE_AUTH, 'not-linked', 'storage-unavailable', ...ALWAYS),
        },
      },
      delete: {
        tags: ['links'],
        summary: 'Unlink (204 also when nothing was linked)',
        security: BEARER,
        responses: {
          '204': { description: 'Not linked (any more).' },
          ...problems(...LINE_AUTH, 'write-contended', 'storage-unavailable', ...ALWAYS),
        },
      },
    },
    '/links/me/history': {
      get: {
        tags: ['links'],
        summary: "The caller's link events, newest first",
        security: BEARER,
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'string', pattern: '^[1-9][0-9]{0,2}$' } },
          { name: 'cursor', in: 'query', schema: { type: 'string', minLength: 1, maxLength: 256 } },
        ],
        responses: {
          '200': jsonBody(ref('HistoryPage'), 'One page of events.'),
          ...problems('invalid-request', ...LINE_AUTH, 'storage-unavailable', ...ALWAYS),
        },
      },
    },
    '/auth/line/login': {
      get: {
        tags: ['web flow'],
        summary: "Web flow start: 302 to LINE's authorization endpoint, sets the binding cookie",
        security: [],
        parameters: [
          {
            name: 'returnTo',
            in: 'query',
            description: 'One of APP_RETURN_URLS exactly.',
            schema: { type: 'string' },
          },
          { name: 'disable_auto_login', in: 'query', schema: { enum: ['true', 'false'] } },
          { name: 'consentVersion', in: 'query', schema: ref('ConsentVersion') },
        ],
        responses: {
          '302': redirect("To LINE's authorization endpoint.", true),
          '400': htmlPages(
            400,
            ['return-to-not-allowed', 'invalid-request'],
            'returnTo not in APP_RETURN_URLS, or a bad consentVersion',
          ),
          '503': htmlPages(
            503,
            ['storage-unavailable'],
            'The sign-in could not be stored; try again shortly',
          ),
          '500': INTERNAL_ERROR_PAGE,
        },
      },
    },
    '/auth/line/callback': {
      get: {
        tags: ['web flow'],
        summary:
          'LINE redirects here: state checked, code exchanged, ID token verified; then the company IdP leg',
        security: [],
        parameters: ['code', 'state', 'error', 'error_description'].map((name) => ({
          name,
          in: 'query',
          schema: { type: 'string' },
        })),
        responses: {
          '302': redirect("To the company IdP's authorization endpoint (sets a new binding cookie).", true),
          '200': htmlPages(200, ['login-cancelled'], 'The user cancelled at LINE; nothing was linked'),
          '400': htmlPages(
            400,
            [...LOGIN_STATE, 'line-authorization-failed', 'line-code-rejected', 'invalid-line-token'],
            'A missing, unknown, expired or unbound state ("sign in again"; nothing consumed), or LINE refused the sign-in',
          ),
          '502': htmlPages(
            502,
            ['line-bad-response', 'company-idp-bad-response'],
            'LINE or the company IdP answered unusably',
          ),
          '503': htmlPages(
            503,
            ['line-unavailable', 'company-idp-unavailable', 'storage-unavailable'],
            'LINE, the company IdP or the storage cannot be reached',
          ),
          '500': INTERNAL_ERROR_PAGE,
        },
      },
    },
    '/auth/company/start': {
      post: {
        tags: ['web flow'],
        summary: 'From a LIFF app with a LINE token: start the company IdP leg; returns the URL to open',
        security: BEARER,
        requestBody: {
          required: false,
          content: { 'application/json': { schema: ref('CompanyStartRequest') } },
        },
        responses: {
          '200': {
            ...jsonBody(ref('CompanyStart'), 'Open authorizeUrl in the browser.'),
            headers: {
              'Set-Cookie': { description: 'The browser-binding cookie.', schema: { type: 'string' } },
            },
          },
          ...problems(
            ...JSON_INPUT,
            'return-to-not-allowed',
            ...LINE_AUTH,
            'feature-disabled',
            'company-idp-unavailable',
            'company-idp-bad-response',
            'storage-unavailable',
            ...ALWAYS,
          ),
        },
      },
    },
    '/auth/company/callback': {
      get: {
        tags: ['web flow'],
        summary: 'The company IdP redirects here: verified, linked, 302 to returnTo?result=…',
        security: [],
        parameters: ['code', 'state', 'error', 'error_description'].map((name) => ({
          name,
          in: 'query',
          schema: { type: 'string' },
        })),
        responses: {
          '302': redirect(
            "Web flow: to returnTo with result=linked|already_linked|conflict|cancelled|error (also for the company IdP's refusals). Pattern 4: to LINE's account-link dialog with a one-time nonce.",
          ),
          '200': htmlPages(
            200,
            ['login-cancelled'],
            'Pattern 4: the user cancelled at the company IdP; nothing was linked',
          ),
          '400': htmlPages(
            400,
            [
              ...LOGIN_STATE,
              'company-authorization-failed',
              'company-code-rejected',
              'invalid-company-token',
            ],
            'A missing, unknown, expired or unbound state ("sign in again"; nothing consumed), or (pattern 4) the company IdP refused the sign-in',
          ),
          '502': htmlPages(502, ['company-idp-bad-response'], 'Pattern 4: the company IdP answered unusably'),
          '503': htmlPages(
            503,
            ['company-idp-unavailable', 'storage-unavailable'],
            'Pattern 4: the company IdP or the storage cannot be reached',
          ),
          '500': INTERNAL_ERROR_PAGE,
        },
      },
    },
    '/webhook/line': {
      post: {
        tags: ['messaging'],
        summary:
          'Messaging API webhook: x-line-signature (HMAC-SHA256 of the raw body with the channel secret) is checked first; follow, unfollow, message, postback and accountLink events',
        description:
          'Until the signature matches nothing is parsed, stored or called. Events are applied once each (by webhookEventId; redeliveries are skipped), in event-time order. ' +
          "A body without events (LINE's URL verification) answers 200. An error while applying answers 500 so that LINE redelivers.",
        security: [],
        parameters: [
          {
            name: 'x-line-signature',
            in: 'header',
            required: true,
            description:
              'Base64 HMAC-SHA256 of the exact request body with the Messaging API channel secret.',
            schema: { type: 'string' },
          },
        ],
        requestBody: {
          required: true,
          description: 'Not checked for its Content-Type; at most 1 MiB.',
          content: { 'application/json': { schema: ref('WebhookBody') } },
        },
        responses: {
          '200': jsonBody(
            { type: 'object', maxProperties: 0 },
            'Accepted: the events were applied, or had been before (an empty object).',
          ),
          '401': webhookSignatureProblem(),
          ...problems(
            'malformed-json',
            'invalid-request',
            'payload-too-large',
            'storage-unavailable',
            ...ALWAYS,
          ),
        },
      },
    },
    '/account-link/start': {
      get: {
        tags: ['messaging'],
        summary:
          "Pattern 4: the linking URL the bot sends; 302 to the company IdP (its callback, /auth/company/callback, then sends the browser to LINE's account-link dialog with a one-time nonce)",
        security: [],
        parameters: [
          {
            name: 'linkToken',
            in: 'query',
            required: true,
            description: "The link token LINE issued for the user (in the bot's linking URL).",
            schema: { type: 'string' },
          },
        ],
        responses: {
          '302': redirect("To the company IdP's authorization endpoint; sets the binding cookie.", true),
          '400': htmlPages(400, ['invalid-request'], 'Missing or malformed linkToken; nothing is stored'),
          '502': htmlPages(
            502,
            ['company-idp-bad-response'],
            "The company IdP's discovery document is unusable",
          ),
          '503': htmlPages(
            503,
            ['company-idp-unavailable', 'storage-unavailable'],
            'The company IdP or the storage cannot be reached',
          ),
          '500': INTERNAL_ERROR_PAGE,
        },
      },
    },
    '/admin/links/company/{companyUserId}': {
      get: {
        tags: ['admin'],
        summary: "The member's link, by company user ID (the lookup is audited with the caller)",
        security: AWS_IAM,
        parameters: [companyUserIdParameter('companyUserId')],
        responses: {
          '200': jsonBody(ref('Link'), 'Linked.'),
          ...adminProblems('invalid-request', 'not-linked'),
        },
      },
    },
    '/admin/links/line/{lineUserId}': {
      get: {
        tags: ['admin'],
        summary: "The LINE user's link, by LINE user ID (the lookup is audited with the caller)",
        security: AWS_IAM,
        parameters: [{ name: 'lineUserId', in: 'path', required: true, schema: ref('LineUserId') }],
        responses: {
          '200': jsonBody(ref('Link'), 'Linked.'),
          ...adminProblems('invalid-request', 'not-linked'),
        },
      },
    },
    '/admin/links/company/{companyUserId}/unlink': {
      post: {
        tags: ['admin'],
        summary:
          'Unlink a member (200 also when nothing was linked); reason erasure-request also erases the member from every table',
        description:
          'erasure-request removes the link, the imported member record, attempt counters and login sessions naming the member, ' +
          'and rewrites the audit events naming them with keyed pseudonyms.',
        security: AWS_IAM,
        parameters: [companyUserIdParameter('companyUserId')],
        requestBody: { required: true, content: { 'application/json': { schema: ref('UnlinkRequest') } } },
        responses: {
          '200': jsonBody(ref('UnlinkResult'), 'Not linked (any more); what was done.'),
          ...adminProblems(...JSON_INPUT, 'write-contended'),
        },
      },
    },
    '/admin/members/{memberId}/unlock': {
      post: {
        tags: ['admin'],
        summary:
          "Clear the member's guessing-protection counter (and the LINE user's, when given) so that they can try again at once",
        security: AWS_IAM,
        parameters: [companyUserIdParameter('memberId')],
        requestBody: {
          required: true,
          description: '`{}`, or `{"lineUserId": "U…"}` to clear that LINE user\'s counter too.',
          content: { 'application/json': { schema: ref('UnlockRequest') } },
        },
        responses: {
          '200': jsonBody(ref('UnlockResult'), 'How many counters were cleared (0 when none existed).'),
          ...adminProblems(...JSON_INPUT),
        },
      },
    },
    '/admin/messages': {
      post: {
        tags: ['admin'],
        summary: `Send LINE messages to members by company user ID: up to ${MULTICAST_LIMIT} recipients now (200), more as a job (202)`,
        description:
          'Members not linked are reported `not-linked`, members known not to be friends of the Official Account `not-friend`; ' +
          'a multicast request that fails for good marks its members `failed`. Bad input is refused before anything is sent. ' +
          'With an `Idempotency-Key`, the same key and body within 24 hours give the first answer again (the same results, or the same job ' +
          'and Location) and send nothing again; the same key with another body is 422 `idempotency-key-reused`; while the first request ' +
          'with the key is still running, 409 `idempotency-key-in-progress` with `Retry-After`. A send whose multicast failed is not kept: ' +
          'the same request with the same key tries it again.',
        security: AWS_IAM,
        parameters: [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            description:
              "The caller's own key for this request (draft-ietf-httpapi-idempotency-key-header): a Structured Field string " +
              '(`"…"`) or a bare value, 1 to 255 printable ASCII characters; a UUID per logical request is best. Kept 24 hours per caller.',
            schema: { type: 'string', minLength: 1, maxLength: 257 },
          },
        ],
        requestBody: {
          required: true,
          description: 'At most 5 MiB.',
          content: { 'application/json': { schema: ref('SendMessagesRequest') } },
        },
        responses: {
          '200': jsonBody(ref('SendMessagesResult'), 'Sent; counts and one result per distinct recipient.'),
          '202': {
            ...jsonBody(ref('MessageJob'), 'Accepted as a job; progress and report at the Location.'),
            headers: {
              Location: {
                description: 'The job: GET /admin/messages/jobs/{jobId}.',
                required: true,
                schema: { type: 'string', pattern: '^/admin/messages/jobs/[0-9a-f-]{36}$' },
              },
            },
          },
          ...adminProblems(...JSON_INPUT, 'idempotency-key-in-progress', 'idempotency-key-reused'),
        },
      },
    },
    '/admin/messages/jobs/{jobId}': {
      get: {
        tags: ['admin'],
        summary: "A message job's progress and a page of its per-member results",
        security: AWS_IAM,
        parameters: [
          {
            name: 'jobId',
            in: 'path',
            required: true,
            schema: { type: 'string', pattern: '^[0-9a-f-]{36}$' },
          },
          {
            name: 'cursor',
            in: 'query',
            description: 'The nextCursor of the previous page, unchanged.',
            schema: { type: 'string', pattern: '^[0-9]{1,6}$' },
          },
        ],
        responses: {
          '200': jsonBody(ref('MessageJobPage'), 'The job and one page of results of its finished batches.'),
          ...adminProblems('invalid-request', 'message-job-not-found'),
        },
      },
    },
  };

  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: {
      title: 'line-id-link',
      version: '0.1.0',
      description:
        "Links an organization's own user IDs with LINE user IDs. The LINE identity is `Authorization: Bearer <token>`: " +
        'a LINE ID token (`liff.getIDToken()`) or access token (`liff.getAccessToken()`). Errors are `application/problem+json` ' +
        '(RFC 9457) with a stable `code`. Any path no route matches answers 404 `route-not-found`; a known path with another ' +
        "method answers 405 `method-not-allowed` with `Allow`. The `/admin/…` routes are for the company's own systems only: " +
        'API Gateway lets through only requests signed with AWS Signature Version 4 (service `execute-api`) by a principal ' +
        'with the admin policy; anything else is refused with 403.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    tags: [
      { name: 'links', description: 'Linking from a LIFF app or a web page with a LINE token' },
      { name: 'web flow', description: 'Browser redirect flow (LINE Login, then the company IdP)' },
      { name: 'messaging', description: 'LINE Official Account: webhook and account linking (pattern 4)' },
      {
        name: 'admin',
        description:
          "The company's own systems (AWS IAM authorization): lookups, unlink and erasure, unlock, messages",
      },
      { name: 'operations' },
    ],
    paths,
    components: {
      securitySchemes: {
        lineToken: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A LINE ID token (JWT, from liff.getIDToken) or a LINE access token (liff.getAccessToken).',
        },
        awsSigV4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description: 'AWS Signature Version 4 (API Gateway IAM authorization, service execute-api).',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
      headers: HEADERS,
      schemas: {
        ProblemCode: {
          description: 'Stable error codes; clients branch on these, never on `detail`.',
          enum: [...Object.keys(ERROR_TABLE), 'internal-error'],
        },
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details with the stable `code` extension member.',
          required: ['type', 'title', 'status', 'detail', 'code'],
          properties: {
            type: { type: 'string', pattern: '^urn:line-id-link:problem:' },
            title: { type: 'string' },
            status: { type: 'integer', minimum: 400, maximum: 599 },
            detail: { type: 'string' },
            code: ref('ProblemCode'),
            errors: {
              type: 'array',
              description: 'Field-level problems of invalid-request (paths and messages, never values).',
              items: {
                type: 'object',
                required: ['path', 'message'],
                properties: { path: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
        },
        ConsentVersion: {
          type: 'string',
          maxLength: 64,
          pattern: '^[A-Za-z0-9][A-Za-z0-9._:/+-]*$',
          description: 'The consent / policy version the front end showed the user; kept in the audit trail.',
        },
        LinkRequest: {
          type: 'object',
          required: ['companyIdToken'],
          properties: {
            companyIdToken: {
              type: 'string',
              minLength: 1,
              maxLength: 8192,
              description:
                'ID token from the company IdP, from a sign-in at most COMPANY_ID_TOKEN_MAX_AGE_SECONDS old (auth_time, else iat; default 600 s; older: 401 invalid-company-token). Each token links one LINE user: sent again by the same user it is a retry (200, or 201 when the first try linked nothing), by another user 401 company-token-replayed.',
            },
            consentVersion: ref('ConsentVersion'),
          },
        },
        MemberLinkRequest: {
          type: 'object',
          required: ['memberId', 'factors'],
          properties: {
            memberId: { type: 'string', minLength: 1, maxLength: 256 },
            factors: {
              type: 'object',
              description: 'The MEMBER_FACTORS of the deployment: birthDate, postalCode, phone.',
              propertyNames: { maxLength: 32 },
              additionalProperties: { type: 'string' },
              examples: [{ birthDate: '1990-04-12', postalCode: '100-0001' }],
            },
            consentVersion: ref('ConsentVersion'),
          },
        },
        Link: {
          type: 'object',
          required: ['lineUserId', 'companyUserId', 'method', 'linkedAt'],
          properties: {
            lineUserId: { type: 'string', pattern: '^U[0-9a-f]{32}$' },
            companyUserId: { type: 'string' },
            method: { enum: ['oidc', 'api', 'record', 'account-link'] },
            linkedAt: { type: 'string', format: 'date-time' },
            channelId: { type: 'string' },
            friend: { type: ['boolean', 'null'] },
            friendUpdatedAt: { type: 'string', format: 'date-time' },
          },
        },
        AuditEvent: {
          type: 'object',
          required: ['type', 'at', 'lineUserId'],
          properties: {
            type: { enum: ['link', 'relink', 'unlink', 'conflict', 'lockout'] },
            at: { type: 'string', format: 'date-time' },
            lineUserId: { type: 'string' },
            companyUserId: { type: 'string' },
            method: { enum: ['oidc', 'api', 'record', 'account-link'] },
            consentVersion: { type: 'string' },
            code: { type: 'string' },
          },
        },
        HistoryPage: {
          type: 'object',
          required: ['events'],
          properties: {
            events: { type: 'array', items: ref('AuditEvent') },
            nextCursor: { type: 'string', description: 'Opaque; pass it back as `cursor` for older events.' },
          },
        },
        CompanyStartRequest: {
          type: 'object',
          properties: {
            returnTo: { type: 'string', minLength: 1, maxLength: 2048 },
            consentVersion: ref('ConsentVersion'),
          },
        },
        CompanyStart: {
          type: 'object',
          required: ['authorizeUrl'],
          properties: { authorizeUrl: { type: 'string', format: 'uri' } },
        },
        Health: { type: 'object', required: ['status'], properties: { status: { const: 'ok' } } },
        WebhookBody: {
          type: 'object',
          required: ['events'],
          description:
            'https://developers.line.biz/en/reference/messaging-api/#request-body — events of other types are ignored.',
          properties: {
            destination: { type: 'string' },
            events: {
              type: 'array',
              items: {
                type: 'object',
                required: ['type', 'timestamp', 'webhookEventId'],
                properties: {
                  type: { type: 'string' },
                  timestamp: { type: 'number' },
                  webhookEventId: { type: 'string', minLength: 1 },
                },
              },
            },
          },
        },
        GatewayMessage: {
          type: 'object',
          description: "API Gateway's own error body.",
          required: ['message'],
          properties: { message: { type: 'string' } },
        },
        CompanyUserId: {
          type: 'string',
          minLength: 1,
          maxLength: 128,
          pattern: '^[!-~]+$',
          description: "The company's own user (member) ID: printable ASCII without spaces.",
        },
        LineUserId: { type: 'string', pattern: '^U[0-9a-f]{32}$' },
        UnlinkRequest: {
          type: 'object',
          required: ['reason'],
          properties: { reason: { enum: [...UNLINK_REASONS] } },
        },
        UnlinkResult: {
          type: 'object',
          required: ['companyUserId', 'reason', 'unlinked'],
          properties: {
            companyUserId: { type: 'string' },
            reason: { enum: [...UNLINK_REASONS] },
            unlinked: {
              type: 'boolean',
              description: 'Whether a link existed and was removed by this call.',
            },
            erased: {
              type: 'object',
              description: 'erasure-request only: per table, how many items were deleted or pseudonymized.',
              additionalProperties: {
                type: 'object',
                required: ['deleted', 'pseudonymized'],
                properties: {
                  deleted: { type: 'integer', minimum: 0 },
                  pseudonymized: { type: 'integer', minimum: 0 },
                },
              },
            },
          },
        },
        UnlockRequest: { type: 'object', properties: { lineUserId: ref('LineUserId') } },
        UnlockResult: {
          type: 'object',
          required: ['memberId', 'countersCleared'],
          properties: {
            memberId: { type: 'string' },
            countersCleared: { type: 'integer', minimum: 0 },
          },
        },
        LineMessage: {
          type: 'object',
          description:
            'A Messaging API message object (https://developers.line.biz/en/reference/messaging-api/#message-objects), passed to LINE as given.',
          required: ['type'],
          properties: { type: { enum: [...LINE_MESSAGE_TYPES] } },
          if: { properties: { type: { const: 'text' } } },
          then: {
            required: ['text'],
            properties: { text: { type: 'string', minLength: 1, maxLength: MAX_TEXT_LENGTH } },
          },
        },
        SendMessagesRequest: {
          type: 'object',
          required: ['to', 'messages'],
          properties: {
            to: {
              type: 'array',
              description: 'Company user IDs; duplicates are sent to once.',
              minItems: 1,
              maxItems: MAX_RECIPIENTS,
              items: ref('CompanyUserId'),
            },
            messages: { type: 'array', minItems: 1, maxItems: MAX_MESSAGES, items: ref('LineMessage') },
          },
          examples: [{ to: ['M0001', 'M0002'], messages: [{ type: 'text', text: 'Hello' }] }],
        },
        MemberSendStatus: { enum: [...MEMBER_SEND_STATUSES] },
        SendCounts: {
          type: 'object',
          required: [...MEMBER_SEND_STATUSES],
          properties: Object.fromEntries(
            MEMBER_SEND_STATUSES.map((status) => [status, { type: 'integer', minimum: 0 }]),
          ),
        },
        MemberSendResult: {
          type: 'object',
          required: ['companyUserId', 'status'],
          properties: { companyUserId: { type: 'string' }, status: ref('MemberSendStatus') },
        },
        SendMessagesResult: {
          type: 'object',
          required: ['counts', 'results'],
          properties: {
            counts: ref('SendCounts'),
            results: { type: 'array', items: ref('MemberSendResult') },
          },
        },
        MessageJob: {
          type: 'object',
          required: ['jobId', 'status', 'createdAt', 'total', 'batches', 'batchesDone', 'counts'],
          properties: {
            jobId: { type: 'string', pattern: '^[0-9a-f-]{36}$' },
            status: { enum: ['running', 'done'] },
            createdAt: { type: 'string', format: 'date-time' },
            total: { type: 'integer', minimum: 1, description: 'Distinct recipients.' },
            batches: { type: 'integer', minimum: 1, description: `Batches of up to ${MULTICAST_LIMIT}.` },
            batchesDone: { type: 'integer', minimum: 0 },
            counts: ref('SendCounts'),
          },
        },
        MessageJobPage: {
          allOf: [
            ref('MessageJob'),
            {
              type: 'object',
              required: ['results'],
              properties: {
                results: { type: 'array', items: ref('MemberSendResult') },
                nextCursor: {
                  type: 'string',
                  pattern: '^[0-9]{1,6}$',
                  description: 'Pass it back as `cursor` for the next page; absent on the last page.',
                },
              },
            },
          ],
        },
      },
    },
  };
}
