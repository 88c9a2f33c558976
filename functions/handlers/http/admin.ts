import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { InvalidRequestError } from '../../core/errors.js';
import { AdminForbiddenError } from './http-errors.js';
import type { AdminCaller } from '../../core/use-cases/admin-links.js';
import { UNLINK_REASONS } from '../../core/ports/index.js';

/**
 * The caller of an `/admin/…` route: the IAM principal API Gateway verified the request's
 * signature for (`requestContext.authorizer.iam.userArn`; the local server fills it the same way
 * after its own SigV4 check). No principal → 403: a route deployed without its authorizer by
 * mistake still refuses everyone.
 */
export function adminCaller(event: APIGatewayProxyEventV2): AdminCaller {
  const context = event.requestContext as { authorizer?: { iam?: { userArn?: unknown } } };
  const arn = context.authorizer?.iam?.userArn;
  if (typeof arn !== 'string' || !arn.startsWith('arn:')) throw new AdminForbiddenError();
  return { arn };
}

/** Company user IDs and member IDs: what the company's own systems use, within sane bounds. */
export const companyIdSchema = z
  .string()
  .check(z.minLength(1), z.maxLength(128), z.regex(/^[\x21-\x7e]+$/, 'Use printable ASCII without spaces.'));

/** LINE user IDs: `U` and 32 lowercase hex digits. */
export const lineUserIdSchema = z.string().check(z.regex(/^U[0-9a-f]{32}$/, 'Not a LINE user ID.'));

/** Body of `POST /admin/links/company/{companyUserId}/unlink`. */
export const unlinkBodySchema = z.object({ reason: z.enum(UNLINK_REASONS as [string, ...string[]]) });

/** Body of `POST /admin/members/{memberId}/unlock` (optional). */
export const unlockBodySchema = z.object({ lineUserId: z.optional(lineUserIdSchema) });

/** A path parameter checked against its schema; a bad one is a 400 that names it. */
export function pathParameter(
  event: APIGatewayProxyEventV2,
  name: string,
  schema: z.ZodMiniType<string>,
): string {
  const result = schema.safeParse(event.pathParameters?.[name]);
  if (!result.success) {
    throw new InvalidRequestError(`The path parameter ${name} is not valid.`, [
      { path: name, message: result.error.issues[0]?.message ?? 'Invalid value.' },
    ]);
  }
  return result.data;
}

const jobIdSchema = z.string().check(z.regex(/^[0-9a-f-]{36}$/, 'Not a job ID.'));

/**
 * The job and the page a `GET /admin/…/jobs/{jobId}[?cursor=…]` asks for: `from` is the
 * `nextCursor` of the previous page (0 for the first), an opaque number to the client.
 *
 * @throws InvalidRequestError for a job ID or cursor that none of our answers gave.
 */
export function jobPageOf(event: APIGatewayProxyEventV2): { jobId: string; from: number } {
  const jobId = pathParameter(event, 'jobId', jobIdSchema);
  const cursor = event.queryStringParameters?.cursor;
  if (cursor !== undefined && !/^\d{1,6}$/.test(cursor))
    throw new InvalidRequestError('The cursor is not valid.', [
      { path: 'cursor', message: 'Use the nextCursor of a previous page, unchanged.' },
    ]);
  return { jobId, from: cursor === undefined ? 0 : Number(cursor) };
}
