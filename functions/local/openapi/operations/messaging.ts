import { ERROR_TABLE, STATUS_TITLES } from '../../../handlers/http/error-table.js';
import { ref, type Json } from '../components.js';
import { jsonBody, redirect, type Area } from '../operation.js';

/**
 * The webhook's refusal of a bad signature, under its status in the error table. Not a
 * `problems` response (error-responses.ts): those 401s carry the Bearer challenge, and this one has none
 * (problem.ts sends no `WWW-Authenticate` for a bad signature, which is not an HTTP authentication scheme).
 */
function signatureRefusal(): Record<string, Json> {
  const code = 'invalid-webhook-signature';
  const { status } = ERROR_TABLE[code];
  return {
    [status]: {
      description: `${STATUS_TITLES[status]}: ${code} (x-line-signature missing or wrong; nothing was parsed, stored or called). No WWW-Authenticate.`,
      content: {
        'application/problem+json': {
          schema: { ...ref('Problem'), properties: { status: { const: status }, code: { const: code } } },
        },
      },
    },
  };
}

/** The LINE Official Account: what LINE calls (the webhook) and the linking URL its bot sends (pattern 4). */
export const MESSAGING: Area = {
  tag: { name: 'messaging', description: 'LINE Official Account: webhook and account linking (pattern 4)' },
  operations: {
    'POST /webhook/line': {
      summary:
        'Messaging API webhook: x-line-signature (HMAC-SHA256 of the raw body with the channel secret) is checked first; follow, unfollow, message, postback and accountLink events',
      description:
        'Until the signature matches nothing is parsed, stored or called. Events are applied once each (by webhookEventId; redeliveries are skipped), in event-time order. ' +
        "A body without events (LINE's URL verification) answers 200. An error while applying answers 500 so that LINE redelivers.",
      parameters: [
        {
          name: 'x-line-signature',
          in: 'header',
          required: true,
          description: 'Base64 HMAC-SHA256 of the exact request body with the Messaging API channel secret.',
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
        ...signatureRefusal(),
      },
      problems: ['malformed-json', 'invalid-request', 'payload-too-large', 'storage-unavailable'],
    },
    'GET /account-link/start': {
      summary:
        "Pattern 4: the linking URL the bot sends; 302 to the company IdP (its callback, /auth/company/callback, then sends the browser to LINE's account-link dialog with a one-time nonce)",
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
      },
      pages: [
        { codes: ['invalid-request'], description: 'Missing or malformed linkToken; nothing is stored' },
        {
          codes: ['company-idp-bad-response'],
          description: "The company IdP's discovery document is unusable",
        },
        {
          codes: ['company-idp-unavailable', 'storage-unavailable'],
          description: 'The company IdP or the storage cannot be reached',
        },
      ],
    },
  },
};
