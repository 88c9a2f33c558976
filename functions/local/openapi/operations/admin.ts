import { AUDIENCE_UPLOAD_LIMIT } from '../../../core/audiences.js';
import { MULTICAST_LIMIT } from '../../../core/member-messages.js';
import { ref, type Json } from '../components.js';
import { JSON_INPUT } from '../error-responses.js';
import { jsonBody, type Area } from '../operation.js';

const companyUserIdParameter = (name: string): Json => ({
  name,
  in: 'path',
  required: true,
  schema: ref('CompanyUserId'),
});

/**
 * The company's own systems. The manifest guards every one of these routes with AWS IAM, which
 * gives them their security and their 403 (openapi-document.ts); each writes or reads storage, so
 * each may find it unavailable.
 */
export const ADMIN: Area = {
  tag: {
    name: 'admin',
    description:
      "The company's own systems (AWS IAM authorization): lookups, unlink and erasure, unlock, messages, audiences",
  },
  operations: {
    'GET /admin/links/company/{companyUserId}': {
      summary: "The member's link, by company user ID (the lookup is audited with the caller)",
      parameters: [companyUserIdParameter('companyUserId')],
      responses: { '200': jsonBody(ref('Link'), 'Linked.') },
      problems: ['invalid-request', 'not-linked', 'storage-unavailable'],
    },
    'GET /admin/links/line/{lineUserId}': {
      summary: "The LINE user's link, by LINE user ID (the lookup is audited with the caller)",
      parameters: [{ name: 'lineUserId', in: 'path', required: true, schema: ref('LineUserId') }],
      responses: { '200': jsonBody(ref('Link'), 'Linked.') },
      problems: ['invalid-request', 'not-linked', 'storage-unavailable'],
    },
    'POST /admin/links/company/{companyUserId}/unlink': {
      summary:
        'Unlink a member (200 also when nothing was linked); reason erasure-request also erases the member from every table',
      description:
        'erasure-request removes the link, the imported member record, attempt counters and login sessions naming the member, ' +
        'and rewrites the audit events naming them with keyed pseudonyms.',
      parameters: [companyUserIdParameter('companyUserId')],
      requestBody: { required: true, content: { 'application/json': { schema: ref('UnlinkRequest') } } },
      responses: { '200': jsonBody(ref('UnlinkResult'), 'Not linked (any more); what was done.') },
      problems: [...JSON_INPUT, 'write-contended', 'storage-unavailable'],
    },
    'POST /admin/members/{memberId}/unlock': {
      summary:
        "Clear the member's guessing-protection counter (and the LINE user's, when given) so that they can try again at once",
      parameters: [companyUserIdParameter('memberId')],
      requestBody: {
        required: true,
        description: '`{}`, or `{"lineUserId": "U…"}` to clear that LINE user\'s counter too.',
        content: { 'application/json': { schema: ref('UnlockRequest') } },
      },
      responses: {
        '200': jsonBody(ref('UnlockResult'), 'How many counters were cleared (0 when none existed).'),
      },
      problems: [...JSON_INPUT, 'storage-unavailable'],
    },
    'POST /admin/messages': {
      summary: `Send LINE messages to members by company user ID: up to ${MULTICAST_LIMIT} recipients now (200), more as a job (202)`,
      description:
        'Members not linked are reported `not-linked`, members known not to be friends of the Official Account `not-friend`; ' +
        'a multicast request that fails for good marks its members `failed`. Bad input is refused before anything is sent. ' +
        'With an `Idempotency-Key`, the same key and body within 24 hours give the first answer again (the same results, or the same job ' +
        'and Location) and send nothing again; the same key with another body is 422 `idempotency-key-reused`; while the first request ' +
        'with the key is still running, 409 `idempotency-key-in-progress` with `Retry-After`. A send whose multicast failed is not kept: ' +
        'the same request with the same key tries it again.',
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
      },
      problems: [
        ...JSON_INPUT,
        'idempotency-key-in-progress',
        'idempotency-key-reused',
        'storage-unavailable',
      ],
    },
    'GET /admin/messages/jobs/{jobId}': {
      summary: "A message job's progress and a page of its per-member results",
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
      },
      problems: ['invalid-request', 'message-job-not-found', 'storage-unavailable'],
    },
    'POST /admin/audiences': {
      summary: 'Create a LINE audience from members, or add them to one: a job (202)',
      description:
        'The job resolves the members to LINE user IDs through their links and uploads the linked ones to LINE ' +
        `(audiences for uploading user IDs, up to ${AUDIENCE_UPLOAD_LIMIT} a request); members not linked are reported, never sent. ` +
        'Bad input is refused before anything is stored. The job is audited with the caller. With an `Idempotency-Key`, as for ' +
        '`POST /admin/messages`: the same key and body within 24 hours give the same job again and start nothing new.',
      parameters: [
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            "The caller's own key for this request (draft-ietf-httpapi-idempotency-key-header), 1 to 255 printable ASCII characters. Kept 24 hours per caller.",
          schema: { type: 'string', minLength: 1, maxLength: 257 },
        },
      ],
      requestBody: {
        required: true,
        description: 'At most 5 MiB.',
        content: { 'application/json': { schema: ref('AudienceRequest') } },
      },
      responses: {
        '202': {
          ...jsonBody(ref('AudienceJob'), 'Accepted as a job; progress and report at the Location.'),
          headers: {
            Location: {
              description: 'The job: GET /admin/audiences/jobs/{jobId}.',
              required: true,
              schema: { type: 'string', pattern: '^/admin/audiences/jobs/[0-9a-f-]{36}$' },
            },
          },
        },
      },
      problems: [
        ...JSON_INPUT,
        'idempotency-key-in-progress',
        'idempotency-key-reused',
        'storage-unavailable',
      ],
    },
    'GET /admin/audiences/jobs/{jobId}': {
      summary:
        "An audience job's progress, its audience, counts, errors and a page of the members not linked",
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
        '200': jsonBody(ref('AudienceJobPage'), 'The job and one page of its not-linked members.'),
      },
      problems: ['invalid-request', 'audience-job-not-found', 'storage-unavailable'],
    },
  },
};
