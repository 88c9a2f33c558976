import * as z from 'zod/mini';
import { InvalidRequestError } from './errors.js';

/**
 * LINE audiences built from members (docs/admin-api.md, "Audiences"): the request, its limits,
 * and the job that resolves the members to LINE users and uploads them.
 */

/**
 * User IDs per upload request by JSON, to create an audience or to add to one
 * (https://developers.line.biz/en/reference/messaging-api/#create-upload-audience-group,
 * #update-upload-audience-group).
 */
export const AUDIENCE_UPLOAD_LIMIT = 10_000;
/** Longest audience name LINE accepts (`description`, in characters). */
export const AUDIENCE_DESCRIPTION_MAX = 120;
/** Members of one request: 10 uploads of 10,000, within the admin route's body limit. */
export const MAX_AUDIENCE_MEMBERS = 100_000;
/** Members stored and resolved together (one job item; well under DynamoDB's 400 KB). */
export const MEMBERS_PER_PART = 1_000;
/** Parts whose linked users make up one upload: at most {@link AUDIENCE_UPLOAD_LIMIT} users. */
export const PARTS_PER_CHUNK = AUDIENCE_UPLOAD_LIMIT / MEMBERS_PER_PART;

/** What `POST /admin/audiences` asks for: a new audience, or more users for an existing one. */
export type AudienceRequest =
  | { mode: 'create'; description: string; memberIds: string[] }
  | { mode: 'add'; audienceGroupId: number; memberIds: string[] };

const memberId = z
  .string()
  .check(z.minLength(1), z.maxLength(128), z.regex(/^[\x21-\x7e]+$/, 'Use printable ASCII without spaces.'));

/**
 * LINE refuses a name that is empty or only spaces, longer than 120 characters, or that holds a
 * control character (AUDIENCE_GROUP_NAME_EMPTY, _SIZE_OVER, _WRONG).
 */
const description = z.string().check(
  z.refine((s) => s.trim().length > 0, 'Give the audience a name (not only spaces).'),
  z.refine(
    (s) => [...s].length <= AUDIENCE_DESCRIPTION_MAX,
    `At most ${AUDIENCE_DESCRIPTION_MAX} characters.`,
  ),
  // eslint-disable-next-line no-control-regex
  z.refine((s) => !/[\u0000-\u001f\u007f-\u009f]/.test(s), 'No control characters (such as a line break).'),
);

/** LINE's audience IDs are positive integers (13 digits today). */
const audienceGroupId = z
  .number()
  .check(z.refine((n) => Number.isSafeInteger(n) && n > 0, 'A positive integer: the audience ID.'));

/** Body of `POST /admin/audiences`. */
export const audienceRequestSchema = z.object({
  description: z.optional(description),
  audienceGroupId: z.optional(audienceGroupId),
  memberIds: z.array(memberId).check(z.minLength(1), z.maxLength(MAX_AUDIENCE_MEMBERS)),
});

/**
 * Parses an audience request: `description` creates an audience, `audienceGroupId` adds to one
 * (exactly one of them). Member IDs are deduplicated, first occurrence first. Bad input is an
 * InvalidRequestError naming each problem (paths, never values).
 */
export function parseAudienceRequest(value: unknown): AudienceRequest {
  const result = audienceRequestSchema.safeParse(value);
  if (!result.success) {
    throw new InvalidRequestError(
      'The audience request is not valid; nothing was uploaded.',
      result.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.') || '(body)',
        message: issue.message,
      })),
    );
  }
  const { description, audienceGroupId, memberIds } = result.data;
  if ((description === undefined) === (audienceGroupId === undefined)) {
    throw new InvalidRequestError('The audience request is not valid; nothing was uploaded.', [
      {
        path: '(body)',
        message: 'Give "description" to create an audience, or "audienceGroupId" to add to one (not both).',
      },
    ]);
  }
  const unique = [...new Set(memberIds)];
  return description !== undefined
    ? { mode: 'create', description, memberIds: unique }
    : { mode: 'add', audienceGroupId: audienceGroupId!, memberIds: unique };
}

/** One problem a job met, as its report shows it. */
export interface AudienceJobError {
  /** A stable error code (`line-bad-response`, `line-unavailable`, `duplicate-audience`, …). */
  code: string;
  /** What happened, in words (LINE's own reason where it gave one; never a token or a user ID). */
  detail: string;
  at: string;
}

/** Member counts of a job, over the chunks done so far. */
export interface AudienceCounts {
  /** Distinct member IDs asked for. */
  requested: number;
  /** Members found linked (their LINE user IDs go to LINE). */
  linked: number;
  /** Members without a link: reported, never sent. */
  notLinked: number;
  /** LINE user IDs LINE accepted into the audience. */
  uploaded: number;
}

/** A job as the company sees it (`GET /admin/audiences/jobs/{jobId}`). */
export interface AudienceJob {
  jobId: string;
  /** `running` until every chunk is uploaded; `failed` when LINE refused for good. */
  status: 'running' | 'done' | 'failed';
  mode: 'create' | 'add';
  createdAt: string;
  /** The audience's name (jobs that create). */
  description?: string;
  /** The audience: given (add), or LINE's once it was created. */
  audienceGroupId?: number;
  counts: AudienceCounts;
  /** Uploads of up to 10,000 users, done / in all. */
  chunks: number;
  chunksDone: number;
  /** Requests to create the audience that LINE may have received (more than one: see `errors`). */
  createAttempts: number;
  errors: AudienceJobError[];
}

/**
 * The job's text in LINE's `uploadDescription` (shown in the audience's `jobs[].description`):
 * it names the job, so an audience whose creation answer was lost is found again by it.
 */
export function uploadDescriptionFor(jobId: string): string {
  return `line-id-link job ${jobId}`;
}
