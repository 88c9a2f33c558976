import { ERROR_TABLE, STATUS_TITLES, type ErrorCode } from '../../handlers/http/error-table.js';
import { headerRef, ref, type Json } from './components.js';

/**
 * The error answers of an operation, built from the codes it names: the status each code is
 * answered with comes from the error table (error-table.ts), never from this document, so a code
 * the table moves to another status moves in the document too.
 */

/**
 * A code an operation can answer: a row of the error table, or `internal-error`, the answer to an
 * error the table does not know (a bug), which has no row because nothing raises it on purpose.
 */
export type AnswerCode = ErrorCode | 'internal-error';

/** The status of `code` as a problem of the JSON API. */
const problemStatus = (code: AnswerCode): number =>
  code === 'internal-error' ? 500 : ERROR_TABLE[code].status;

/** The status of the HTML page showing `code` (web-pages.ts): a cancelled sign-in is a 200 page. */
const pageStatus = (code: AnswerCode): number => (code === 'internal-error' ? 500 : ERROR_TABLE[code].page);

/** What every route that verifies a LINE token may answer. */
export const LINE_AUTH = [
  'missing-line-token',
  'invalid-line-token',
  'line-unavailable',
  'line-bad-response',
] as const satisfies readonly ErrorCode[];

/** What every route with a JSON body may answer before the use case runs. */
export const JSON_INPUT = [
  'invalid-request',
  'malformed-json',
  'payload-too-large',
  'unsupported-media-type',
] as const satisfies readonly ErrorCode[];

/** Why a web-flow callback refuses its `state` ("sign in again"; nothing is consumed). */
export const LOGIN_STATE = [
  'login-state-missing',
  'login-state-unknown',
  'login-state-expired',
  'login-state-not-bound',
] as const satisfies readonly ErrorCode[];

/** `codes` by the status `statusOf` gives each, in the order they are named. */
function byStatus(codes: readonly AnswerCode[], statusOf: (code: AnswerCode) => number) {
  const groups = new Map<number, AnswerCode[]>();
  for (const code of codes) {
    const status = statusOf(code);
    groups.set(status, [...(groups.get(status) ?? []), code]);
  }
  return groups;
}

/** A problem+json response for `status` listing the codes that answer with it on this route. */
function problemResponse(status: number, codes: readonly AnswerCode[]): Json {
  const headers: Json = {};
  if (status === 401) headers['WWW-Authenticate'] = headerRef('WWW-Authenticate');
  if (status === 429) headers['Retry-After'] = headerRef('Retry-After');
  if (codes.includes('write-contended') || codes.includes('storage-unavailable')) {
    headers['Retry-After'] = headerRef('Retry-After-Contended');
  }
  if (codes.includes('idempotency-key-in-progress')) {
    headers['Retry-After'] = headerRef('Retry-After-In-Progress');
  }
  if (status === 405) headers.Allow = headerRef('Allow');
  return {
    description: `${STATUS_TITLES[status] ?? 'Error'}: ${codes.join(', ')}`,
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

/** One problem+json response per status among `codes`, each listing its codes as an enum. */
export function problems(codes: readonly AnswerCode[]): Record<string, Json> {
  return Object.fromEntries(
    [...byStatus(codes, problemStatus)].map(([status, list]) => [
      String(status),
      problemResponse(status, list),
    ]),
  );
}

/** Error pages of a browser route that share one status, and what they mean on that route. */
export interface PageGroup {
  readonly description: string;
  readonly codes: readonly AnswerCode[];
}

/**
 * One HTML page response per group (web-pages.ts), under the page status the error table gives its
 * codes, listing the codes it may show (`<code id="error-code">`) in `x-error-codes`. A group's
 * codes must share a page status, and no two groups may share one: each status has one description.
 */
export function pages(groups: readonly PageGroup[]): Record<string, Json> {
  const responses: Record<string, Json> = {};
  for (const { description, codes } of groups) {
    const statuses = [...byStatus(codes, pageStatus).keys()];
    if (statuses.length !== 1) {
      throw new Error(
        `openapi: the pages of ${codes.join(', ')} have statuses ${statuses.join(', ')}, not one`,
      );
    }
    const status = String(statuses[0]);
    if (responses[status]) throw new Error(`openapi: two groups of pages have status ${status}`);
    responses[status] = {
      description: `${description} (an HTML page showing its error code: ${codes.join(', ')}).`,
      content: { 'text/html': { schema: { type: 'string' } } },
      'x-error-codes': [...codes],
    };
  }
  return responses;
}
