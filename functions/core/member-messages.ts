import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { InvalidRequestError } from './errors.js';

/**
 * Messages to members by company user ID (docs/admin-api.md): the request shape,
 * its limits, and what is reported per member.
 */

/** Message object types of the Messaging API (https://developers.line.biz/en/reference/messaging-api/#message-objects). */
export const LINE_MESSAGE_TYPES = [
  'text',
  'textV2',
  'sticker',
  'image',
  'video',
  'audio',
  'location',
  'imagemap',
  'template',
  'flex',
] as const;

/**
 * At most 5 message objects per request
 * (https://developers.line.biz/en/reference/messaging-api/#send-multicast-message).
 */
export const MAX_MESSAGES = 5;
/** At most 500 user IDs per multicast request. */
export const MULTICAST_LIMIT = 500;
/** Text messages hold at most 5,000 characters. */
export const MAX_TEXT_LENGTH = 5000;
/** Recipients of one send (a job runs through them in batches). */
export const MAX_RECIPIENTS = 100_000;

/** What happened to one member. */
export type MemberSendStatus = 'sent' | 'not-linked' | 'not-friend' | 'failed';
export const MEMBER_SEND_STATUSES: readonly MemberSendStatus[] = [
  'sent',
  'not-linked',
  'not-friend',
  'failed',
];

/** One member's outcome. */
export interface MemberSendResult {
  companyUserId: string;
  status: MemberSendStatus;
}

/** A LINE message object, passed to LINE as given once its type and basic limits are checked. */
export type LineMessage = { type: (typeof LINE_MESSAGE_TYPES)[number] } & Record<string, unknown>;

const companyUserId = z
  .string()
  .check(z.minLength(1), z.maxLength(128), z.regex(/^[\x21-\x7e]+$/, 'Use printable ASCII without spaces.'));

const message = z
  .looseObject({ type: z.enum(LINE_MESSAGE_TYPES) })
  .check(
    z.refine(
      (m) =>
        m.type !== 'text' ||
        (typeof m.text === 'string' && m.text.length > 0 && m.text.length <= MAX_TEXT_LENGTH),
      `A text message needs "text" of 1 to ${MAX_TEXT_LENGTH} characters.`,
    ),
  );

/** `messages`: 1 to 5 LINE message objects of a known type. */
export const messagesSchema = z.array(message).check(z.minLength(1), z.maxLength(MAX_MESSAGES));

/** Body of `POST /admin/messages`. */
export const sendRequestSchema = z.object({
  to: z.array(companyUserId).check(z.minLength(1), z.maxLength(MAX_RECIPIENTS)),
  messages: messagesSchema,
});

export type SendRequest = { to: string[]; messages: LineMessage[] };

/** Parses a send request; bad input is an InvalidRequestError naming each problem (paths, never values). */
export function parseSendRequest(value: unknown): SendRequest {
  const result = sendRequestSchema.safeParse(value);
  if (!result.success) {
    throw new InvalidRequestError(
      'The message request is not valid; nothing was sent.',
      result.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.') || '(body)',
        message: issue.message,
      })),
    );
  }
  return { to: result.data.to, messages: result.data.messages as LineMessage[] };
}

/** Counts per status. */
export function summarize(results: readonly MemberSendResult[]): Record<MemberSendStatus, number> {
  const counts = { sent: 0, 'not-linked': 0, 'not-friend': 0, failed: 0 };
  for (const r of results) counts[r.status]++;
  return counts;
}

/** RFC 4122 namespace of this service's retry keys (a fixed random UUID). */
const RETRY_KEY_NAMESPACE = Buffer.from('6f1d7c4e9a2b4c3d8e5f0a1b2c3d4e5f', 'hex');

/**
 * A name-based UUID (RFC 4122 version 5) for `X-Line-Retry-Key`: the same job batch always gets
 * the same key, so a batch run again after a Lambda timeout or a queue redelivery is accepted by
 * LINE at most once (LINE answers 409 for a key it already accepted).
 */
export function retryKeyFor(name: string): string {
  const hash = createHash('sha1').update(RETRY_KEY_NAMESPACE).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** One batch of a job, as the queue carries it. */
export interface JobBatchRef {
  jobId: string;
  batch: number;
}

/** A job as the company sees it. */
export interface MessageJob {
  jobId: string;
  status: 'running' | 'done';
  createdAt: string;
  total: number;
  batches: number;
  batchesDone: number;
  counts: Record<MemberSendStatus, number>;
}
