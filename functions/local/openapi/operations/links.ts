import { ref } from '../components.js';
import { JSON_INPUT, LINE_AUTH } from '../error-responses.js';
import { jsonBody, type Area, type OperationSpec } from '../operation.js';

/** What every linking pattern answers when it links, or finds the pair linked already (idempotent). */
const LINKED = {
  '201': jsonBody(ref('Link'), 'Linked.'),
  '200': jsonBody(ref('Link'), 'The same pair was already linked.'),
};

/** Patterns 2 and 3 differ only in who checks the member data, and pattern 2 may find its API down. */
const memberLinkOperation = (pattern: 2 | 3): OperationSpec => ({
  summary:
    pattern === 3
      ? 'Pattern 3: link by member data checked against the imported member records'
      : "Pattern 2: link by member data checked by the company's verification API",
  lineToken: true,
  requestBody: {
    required: true,
    content: { 'application/json': { schema: ref('MemberLinkRequest') } },
  },
  responses: LINKED,
  problems: [
    ...JSON_INPUT,
    ...LINE_AUTH,
    'line-user-already-linked',
    'company-user-already-linked',
    'verification-failed',
    'too-many-attempts',
    'feature-disabled',
    'write-contended',
    'storage-unavailable',
    ...(pattern === 2 ? (['company-api-unavailable', 'company-api-bad-response'] as const) : []),
  ],
});

/** Linking and the caller's own link, from a LIFF app or a web page holding a LINE token. */
export const LINKS: Area = {
  tag: { name: 'links', description: 'Linking from a LIFF app or a web page with a LINE token' },
  operations: {
    'POST /links': {
      summary:
        "Pattern 1 (LIFF, app): link the caller's LINE account with the company account of an ID token or access token",
      description:
        'Where LINE_REQUIRE_NONCE is on, the bearer must be a LINE ID token whose nonce claim is an unused nonce of POST /links/nonce (401 line-nonce-required for an access token or an ID token without nonce, 401 line-nonce-rejected for an unknown, expired or used one); the link uses it up.',
      lineToken: true,
      requestBody: { required: true, content: { 'application/json': { schema: ref('LinkRequest') } } },
      responses: LINKED,
      problems: [
        ...JSON_INPUT,
        ...LINE_AUTH,
        'invalid-company-token',
        'company-token-replayed',
        'line-nonce-required',
        'line-nonce-rejected',
        'line-user-already-linked',
        'company-user-already-linked',
        'feature-disabled',
        'company-idp-unavailable',
        'company-idp-bad-response',
        'write-contended',
        'storage-unavailable',
      ],
    },
    'POST /links/nonce': {
      summary: "A one-time nonce for an app's LINE login (LINE SDK ID token nonce), for POST /links",
      description:
        'No LINE token: the app asks before it logs in to LINE. The nonce is bound to this response only (no cookie): give it to the LINE SDK (iOS IDTokenNonce, Android LineAuthenticationParams.nonce) and send the ID token it returns to POST /links before expiresAt (LINK_NONCE_TTL_SECONDS). LIFF cannot carry a nonce (liff.getIDToken()).',
      responses: { '201': jsonBody(ref('LinkNonce'), 'A fresh nonce.') },
      problems: ['storage-unavailable'],
    },
    'POST /links/by-record': memberLinkOperation(3),
    'POST /links/by-api': memberLinkOperation(2),
    'GET /links/me': {
      summary: "The caller's link",
      lineToken: true,
      responses: { '200': jsonBody(ref('Link'), 'Linked.') },
      problems: [...LINE_AUTH, 'not-linked', 'storage-unavailable'],
    },
    'DELETE /links/me': {
      summary: 'Unlink (204 also when nothing was linked)',
      lineToken: true,
      responses: {
        '204': {
          description: 'Not linked (any more).',
          headers: {
            'Unlink-Result': {
              description:
                'What happened, for the front end to say only that: `not-linked` (nothing to unlink), or the ' +
                "removed link's deauthorize at LINE: `deauthorized`, `deauthorize-failed` (LINE did not answer; " +
                'the link is gone anyway), `deauthorize-not-possible` (an ID token, or an access token of a channel ' +
                "other than LINE_LOGIN_CHANNEL_ID: the user withdraws the permission in LINE's settings).",
              required: true,
              schema: {
                type: 'string',
                enum: ['not-linked', 'deauthorized', 'deauthorize-failed', 'deauthorize-not-possible'],
              },
            },
          },
        },
      },
      problems: [...LINE_AUTH, 'write-contended', 'storage-unavailable'],
    },
    'GET /links/me/history': {
      summary: "The caller's link events, newest first",
      lineToken: true,
      parameters: [
        { name: 'limit', in: 'query', schema: { type: 'string', pattern: '^[1-9][0-9]{0,2}$' } },
        { name: 'cursor', in: 'query', schema: { type: 'string', minLength: 1, maxLength: 256 } },
      ],
      responses: { '200': jsonBody(ref('HistoryPage'), 'One page of events.') },
      problems: ['invalid-request', ...LINE_AUTH, 'storage-unavailable'],
    },
  },
};
