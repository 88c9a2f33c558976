import { ref, type Json } from '../components.js';
import { JSON_INPUT, LINE_AUTH, LOGIN_STATE } from '../error-responses.js';
import { jsonBody, redirect, type Area } from '../operation.js';

/** What an OAuth 2.0 authorization server sends back to a redirect URI. */
const callbackParameters: Json[] = ['code', 'state', 'error', 'error_description'].map((name) => ({
  name,
  in: 'query',
  schema: { type: 'string' },
}));

/**
 * The browser redirect flow of docs/web-flow.md: LINE Login, then the company IdP, linked at the
 * end. Its redirects answer errors as HTML pages, since a browser, not a program, reads them.
 */
export const WEB_FLOW: Area = {
  tag: { name: 'web flow', description: 'Browser redirect flow (LINE Login, then the company IdP)' },
  operations: {
    'GET /auth/line/login': {
      summary: "Web flow start: 302 to LINE's authorization endpoint, sets the binding cookie",
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
      responses: { '302': redirect("To LINE's authorization endpoint.", true) },
      pages: [
        {
          codes: ['return-to-not-allowed', 'invalid-request'],
          description: 'returnTo not in APP_RETURN_URLS, or a bad consentVersion',
        },
        { codes: ['storage-unavailable'], description: 'The sign-in could not be stored; try again shortly' },
      ],
    },
    'GET /auth/line/callback': {
      summary:
        'LINE redirects here: state checked, code exchanged, ID token verified; then the company IdP leg',
      parameters: callbackParameters,
      responses: {
        '302': redirect("To the company IdP's authorization endpoint (sets a new binding cookie).", true),
      },
      pages: [
        { codes: ['login-cancelled'], description: 'The user cancelled at LINE; nothing was linked' },
        {
          codes: [...LOGIN_STATE, 'line-authorization-failed', 'line-code-rejected', 'invalid-line-token'],
          description:
            'A missing, unknown, expired or unbound state ("sign in again"; nothing consumed), or LINE refused the sign-in',
        },
        {
          codes: ['line-bad-response', 'company-idp-bad-response'],
          description: 'LINE or the company IdP answered unusably',
        },
        {
          codes: ['line-unavailable', 'company-idp-unavailable', 'storage-unavailable'],
          description: 'LINE, the company IdP or the storage cannot be reached',
        },
      ],
    },
    'POST /auth/company/start': {
      summary: 'From a LIFF app with a LINE token: start the company IdP leg; returns the URL to open',
      lineToken: true,
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
      },
      problems: [
        ...JSON_INPUT,
        'return-to-not-allowed',
        ...LINE_AUTH,
        'feature-disabled',
        'company-idp-unavailable',
        'company-idp-bad-response',
        'storage-unavailable',
      ],
    },
    'GET /auth/company/callback': {
      summary: 'The company IdP redirects here: verified, linked, 302 to returnTo?result=…',
      parameters: callbackParameters,
      responses: {
        '302': redirect(
          "Web flow: to returnTo with result=linked|already_linked|conflict|cancelled|error (also for the company IdP's refusals). Pattern 4: to LINE's account-link dialog with a one-time nonce.",
        ),
      },
      pages: [
        {
          codes: ['login-cancelled'],
          description: 'Pattern 4: the user cancelled at the company IdP; nothing was linked',
        },
        {
          codes: [
            ...LOGIN_STATE,
            'company-authorization-failed',
            'company-code-rejected',
            'invalid-company-token',
          ],
          description:
            'A missing, unknown, expired or unbound state ("sign in again"; nothing consumed), or (pattern 4) the company IdP refused the sign-in',
        },
        { codes: ['company-idp-bad-response'], description: 'Pattern 4: the company IdP answered unusably' },
        {
          codes: ['company-idp-unavailable', 'storage-unavailable'],
          description: 'Pattern 4: the company IdP or the storage cannot be reached',
        },
      ],
    },
  },
};
