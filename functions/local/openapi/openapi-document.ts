import { STATUS_BY_CODE } from '../../handlers/http/problem.js';

/**
 * The OpenAPI 3.1 description of the HTTP API, served by `npm start` at `/openapi.json`. It is
 * written by hand next to the routes (functions/handlers/routes.ts) and checked against them and
 * against real responses by test/integration/openapi/openapi-conformance.test.ts: a route without
 * a path here, a problem code missing from the enum, or a response the document does not allow
 * fails that test. Problem codes and their statuses come from the one table in problem.ts.
 */

type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const PROBLEM_TITLE_BY_STATUS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

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
    if (STATUS_BY_CODE[code] !== status && code !== 'internal-error') {
      throw new Error(`openapi: ${code} is ${STATUS_BY_CODE[code]}, not ${status}`);
    }
  }
  const headers: Json = {};
  if (status === 401) headers['WWW-Authenticate'] = { $ref: '#/components/headers/WWW-Authenticate' };
  if (status === 429) headers['Retry-After'] = { $ref: '#/components/headers/Retry-After' };
  if (status === 405) headers.Allow = { $ref: '#/components/headers/Allow' };
  return {
    description: description ?? `${PROBLEM_TITLE_BY_STATUS[status] ?? 'Error'}: ${codes.join(', ')}`,
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
    const status = code === 'internal-error' ? 500 : STATUS_BY_CODE[code];
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

const BEARER = [{ lineToken: [] }];
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
      ...(pattern === 2 ? ['company-api-unavailable', 'company-api-bad-response'] : []),
      ...ALWAYS,
    ),
  },
});

const htmlError = (description: string): Json => ({
  description,
  content: { 'text/html': { schema: { type: 'string' } } },
});
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
            'line-user-already-linked',
            'company-user-already-linked',
            'feature-disabled',
            'company-idp-unavailable',
            'company-idp-bad-response',
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
          ...problems(...LINE_AUTH, 'not-linked', ...ALWAYS),
        },
      },
      delete: {
        tags: ['links'],
        summary: 'Unlink (204 also when nothing was linked)',
        security: BEARER,
        responses: {
          '204': { description: 'Not linked (any more).' },
          ...problems(...LINE_AUTH, ...ALWAYS),
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
          ...problems('invalid-request', ...LINE_AUTH, ...ALWAYS),
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
          '400': htmlError('returnTo not in APP_RETURN_URLS, or a bad parameter (an HTML page).'),
          '501': htmlError('The web flow is not configured on this deployment.'),
          '500': htmlError('Unexpected error (an HTML page).'),
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
          '302': redirect("To the company IdP's authorization endpoint, or to returnTo?result=…"),
          '400': htmlError('Unknown, expired or unbound state (an HTML page).'),
          '500': htmlError('Unexpected error (an HTML page).'),
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
          '302': redirect('To returnTo with result=linked|already_linked|conflict|cancelled|error.'),
          '400': htmlError('Unknown, expired or unbound state (an HTML page).'),
          '500': htmlError('Unexpected error (an HTML page).'),
        },
      },
    },
    // Described from the design (the contract); the handlers are added separately.
    '/webhook/line': {
      post: {
        tags: ['messaging'],
        summary:
          'Messaging API webhook: x-line-signature (HMAC-SHA256 of the raw body with the channel secret) is checked first; follow, unfollow and accountLink events',
        security: [],
        parameters: [{ name: 'x-line-signature', in: 'header', required: true, schema: { type: 'string' } }],
        requestBody: { required: true, content: { 'application/json': { schema: ref('WebhookBody') } } },
        responses: {
          '200': { description: 'Accepted (events are processed once; redeliveries are ignored).' },
          '401': {
            description: 'Missing or wrong signature: nothing happens.',
            content: { 'application/problem+json': { schema: ref('Problem') } },
          },
        },
      },
    },
    '/account-link/start': {
      get: {
        tags: ['messaging'],
        summary:
          "Pattern 4: the linking URL the bot sends; company sign-in, then 302 to LINE's account-link dialog with a one-time nonce",
        security: [],
        parameters: [{ name: 'linkToken', in: 'query', required: true, schema: { type: 'string' } }],
        responses: {
          '302': redirect("To the company IdP, then to LINE's /dialog/bot/accountLink.", true),
          '400': htmlError('Missing or malformed linkToken (an HTML page).'),
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
        "method answers 405 `method-not-allowed` with `Allow`. The `/admin/…` routes of the company's own systems use AWS IAM " +
        'authorization and are not part of this public description.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    tags: [
      { name: 'links', description: 'Linking from a LIFF app or a web page with a LINE token' },
      { name: 'web flow', description: 'Browser redirect flow (LINE Login, then the company IdP)' },
      { name: 'messaging', description: 'LINE Official Account: webhook and account linking (pattern 4)' },
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
      },
      headers: HEADERS,
      schemas: {
        ProblemCode: {
          description: 'Stable error codes; clients branch on these, never on `detail`.',
          enum: [...Object.keys(STATUS_BY_CODE), 'internal-error'],
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
              description: 'ID token from the company IdP.',
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
          required: ['destination', 'events'],
          description: 'https://developers.line.biz/en/reference/messaging-api/#request-body',
          properties: {
            destination: { type: 'string' },
            events: { type: 'array', items: { type: 'object' } },
          },
        },
      },
    },
  };
}
