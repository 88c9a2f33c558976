import {
  AUDIENCE_DESCRIPTION_MAX,
  AUDIENCE_UPLOAD_LIMIT,
  MAX_AUDIENCE_MEMBERS,
} from '../../core/audiences.js';
import {
  LINE_MESSAGE_TYPES,
  MAX_MESSAGES,
  MAX_RECIPIENTS,
  MAX_TEXT_LENGTH,
  MEMBER_SEND_STATUSES,
  MULTICAST_LIMIT,
} from '../../core/member-messages.js';
import { UNLINK_REASONS } from '../../core/ports/index.js';
import { ERROR_TABLE } from '../../handlers/http/error-table.js';

/**
 * The document's shared components: the bodies the operations send and answer, and the headers
 * of their answers. Limits and enumerations come from the core (member-messages.ts, the unlink reasons)
 * and the problem codes from the error table, so the document cannot promise what the code does not check.
 */

export type Json = Record<string, unknown>;

/** A reference to one of {@link SCHEMAS} from an operation; a misspelt name does not compile. */
export function ref(name: keyof typeof SCHEMAS): { $ref: string } {
  return schemaRef(name);
}

/**
 * The same reference between the schemas themselves, untyped because {@link SCHEMAS} cannot name its
 * own keys while it is being defined; test/unit/local/openapi checks that every reference resolves.
 */
function schemaRef(name: string): { $ref: string } {
  return { $ref: `#/components/schemas/${name}` };
}

/** A reference to one of {@link HEADERS}. */
export function headerRef(name: keyof typeof HEADERS): { $ref: string } {
  return { $ref: `#/components/headers/${name}` };
}

/** Response headers shared by operations; the problem responses pick theirs by status and code. */
export const HEADERS = {
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
} satisfies Record<string, Json>;

/** The request and response bodies; `ProblemCode` and `Problem` describe every error answer. */
export const SCHEMAS = {
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
      code: schemaRef('ProblemCode'),
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
    description:
      'Exactly one of companyIdToken and companyAccessToken (both or neither: 400 invalid-request).',
    oneOf: [{ required: ['companyIdToken'] }, { required: ['companyAccessToken'] }],
    properties: {
      companyIdToken: {
        type: 'string',
        minLength: 1,
        maxLength: 8192,
        description:
          'ID token from the company IdP, from a sign-in at most COMPANY_ID_TOKEN_MAX_AGE_SECONDS old (auth_time, else iat; default 600 s; older: 401 invalid-company-token). Each token links one LINE user: sent again by the same user it is a retry (200, or 201 when the first try linked nothing), by another user 401 company-token-replayed.',
      },
      companyAccessToken: {
        type: 'string',
        minLength: 1,
        maxLength: 8192,
        description:
          "Access token from the company IdP, checked there (COMPANY_ACCESS_TOKEN_CHECK): by a signed UserInfo answer naming this service's client in aud (userinfo, the default), or by RFC 7662 introspection (introspection); off: 501 feature-disabled. Fresh and one LINE user per token, as companyIdToken.",
      },
      consentVersion: schemaRef('ConsentVersion'),
    },
  },
  LinkNonce: {
    type: 'object',
    required: ['nonce', 'expiresAt'],
    properties: {
      nonce: {
        type: 'string',
        pattern: '^[A-Za-z0-9_-]{43}$',
        description: '256 random bits, base64url; good for one link until expiresAt.',
      },
      expiresAt: { type: 'string', format: 'date-time' },
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
      consentVersion: schemaRef('ConsentVersion'),
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
      events: { type: 'array', items: schemaRef('AuditEvent') },
      nextCursor: { type: 'string', description: 'Opaque; pass it back as `cursor` for older events.' },
    },
  },
  CompanyStartRequest: {
    type: 'object',
    properties: {
      returnTo: { type: 'string', minLength: 1, maxLength: 2048 },
      consentVersion: schemaRef('ConsentVersion'),
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
  UnlockRequest: { type: 'object', properties: { lineUserId: schemaRef('LineUserId') } },
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
        items: schemaRef('CompanyUserId'),
      },
      messages: { type: 'array', minItems: 1, maxItems: MAX_MESSAGES, items: schemaRef('LineMessage') },
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
    properties: { companyUserId: { type: 'string' }, status: schemaRef('MemberSendStatus') },
  },
  SendMessagesResult: {
    type: 'object',
    required: ['counts', 'results'],
    properties: {
      counts: schemaRef('SendCounts'),
      results: { type: 'array', items: schemaRef('MemberSendResult') },
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
      counts: schemaRef('SendCounts'),
    },
  },
  MessageJobPage: {
    allOf: [
      schemaRef('MessageJob'),
      {
        type: 'object',
        required: ['results'],
        properties: {
          results: { type: 'array', items: schemaRef('MemberSendResult') },
          nextCursor: {
            type: 'string',
            pattern: '^[0-9]{1,6}$',
            description: 'Pass it back as `cursor` for the next page; absent on the last page.',
          },
        },
      },
    ],
  },
  AudienceRequest: {
    type: 'object',
    description:
      '`description` creates a LINE audience, `audienceGroupId` adds to one (exactly one of the two); the linked members go to LINE.',
    required: ['memberIds'],
    properties: {
      description: {
        type: 'string',
        minLength: 1,
        maxLength: AUDIENCE_DESCRIPTION_MAX,
        description: `The audience's name at LINE: 1 to ${AUDIENCE_DESCRIPTION_MAX} characters, not only spaces, no control characters.`,
      },
      audienceGroupId: {
        type: 'integer',
        minimum: 1,
        description: 'An audience for uploading user IDs at LINE.',
      },
      memberIds: {
        type: 'array',
        description: 'Company user IDs (member numbers); duplicates count once.',
        minItems: 1,
        maxItems: MAX_AUDIENCE_MEMBERS,
        items: schemaRef('CompanyUserId'),
      },
    },
    examples: [{ description: 'Gold members 2026', memberIds: ['M0001', 'M0002'] }],
  },
  AudienceJob: {
    type: 'object',
    required: [
      'jobId',
      'status',
      'mode',
      'createdAt',
      'counts',
      'chunks',
      'chunksDone',
      'createAttempts',
      'errors',
    ],
    properties: {
      jobId: { type: 'string', pattern: '^[0-9a-f-]{36}$' },
      status: {
        enum: ['running', 'done', 'failed'],
        description: '`failed`: LINE refused an upload for good (see `errors`).',
      },
      mode: { enum: ['create', 'add'] },
      createdAt: { type: 'string', format: 'date-time' },
      description: { type: 'string' },
      audienceGroupId: {
        type: 'integer',
        description: "Given (add), or LINE's once the audience was created.",
      },
      counts: {
        type: 'object',
        required: ['requested', 'linked', 'notLinked', 'uploaded'],
        properties: {
          requested: { type: 'integer', minimum: 1, description: 'Distinct members asked for.' },
          linked: { type: 'integer', minimum: 0 },
          notLinked: { type: 'integer', minimum: 0, description: 'Reported, never sent.' },
          uploaded: { type: 'integer', minimum: 0, description: 'LINE user IDs LINE accepted.' },
        },
      },
      chunks: {
        type: 'integer',
        minimum: 1,
        description: `Uploads of up to ${AUDIENCE_UPLOAD_LIMIT} users.`,
      },
      chunksDone: { type: 'integer', minimum: 0 },
      createAttempts: {
        type: 'integer',
        minimum: 0,
        description:
          'Create requests LINE may have received; more than one after a lost answer (docs/admin-api.md).',
      },
      errors: {
        type: 'array',
        items: {
          type: 'object',
          required: ['code', 'detail', 'at'],
          properties: {
            code: {
              type: 'string',
              examples: ['line-bad-response', 'line-unavailable', 'duplicate-audience'],
            },
            detail: { type: 'string' },
            at: { type: 'string', format: 'date-time' },
          },
        },
      },
    },
  },
  AudienceJobPage: {
    allOf: [
      schemaRef('AudienceJob'),
      {
        type: 'object',
        required: ['notLinkedMemberIds'],
        properties: {
          notLinkedMemberIds: {
            type: 'array',
            items: { type: 'string' },
            description: 'Members found not linked, a page (up to 10,000) at a time.',
          },
          nextCursor: {
            type: 'string',
            pattern: '^[0-9]{1,6}$',
            description: 'Pass it back as `cursor` for the next page; absent on the last page.',
          },
        },
      },
    ],
  },
} satisfies Record<string, Json>;
