import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { InvalidRequestError } from '../core/errors.js';
import {
  getMyHistory,
  MAX_HISTORY_PAGE_SIZE,
  type GetMyHistoryPorts,
} from '../core/use-cases/get-my-history.js';
import { httpEdge } from './http/middlewares.js';
import { bearerToken } from './http/bearer-token.js';
import { json } from './http/responses.js';

/** Query of `GET /links/me/history`; unknown parameters are ignored. */
const HistoryQuery = z.object({
  limit: z.optional(
    z.string().check(z.regex(/^[1-9]\d{0,2}$/, `Must be an integer from 1 to ${MAX_HISTORY_PAGE_SIZE}.`)),
  ),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
});

/**
 * `GET /links/me/history[?limit=N][&cursor=C]` — the caller's own audit events, newest first:
 * `{"events": [{type, at, lineUserId, companyUserId, method, consentVersion?, code?}], "nextCursor"?}`.
 */
export function createLinksMeHistoryGetHandler(ports: GetMyHistoryPorts) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(httpEdge())
    .handler(async (event) => {
      const lineToken = bearerToken(event);
      const parsed = HistoryQuery.safeParse(event.queryStringParameters ?? {});
      const limit = parsed.success && parsed.data.limit !== undefined ? Number(parsed.data.limit) : undefined;
      if (!parsed.success || (limit !== undefined && limit > MAX_HISTORY_PAGE_SIZE)) {
        throw new InvalidRequestError(
          'The query parameters are not valid.',
          parsed.success
            ? [{ path: 'limit', message: `Must be an integer from 1 to ${MAX_HISTORY_PAGE_SIZE}.` }]
            : parsed.error.issues.map((issue) => ({
                path: issue.path.map(String).join('.'),
                message: issue.message,
              })),
        );
      }
      const page = await getMyHistory({ lineToken, limit, cursor: parsed.data.cursor }, ports);
      return json(200, page);
    });
}
