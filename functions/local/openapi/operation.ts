import type { RouteDefinition } from '../../manifest/routes.js';
import { headerRef, type Json } from './components.js';
import type { AnswerCode, PageGroup } from './error-responses.js';

/**
 * The shape of one operation's description, and the success responses operations share. The
 * route itself (method and path) and its security come from the manifest (functions/manifest/routes.ts);
 * an operation says only what the manifest does not know.
 */

/** `METHOD /path` exactly as the manifest has them, e.g. `GET /links/me`. */
export type RouteKey = `${RouteDefinition['method']} /${string}`;

/** The key of `route` among the operations. */
export const routeKey = (route: Pick<RouteDefinition, 'method' | 'path'>): RouteKey =>
  `${route.method} ${route.path}` as RouteKey;

/** How an operation answers errors: problem+json (the JSON API) or HTML pages (the browser routes). */
type ErrorAnswers =
  | {
      /** The codes it answers as problem+json; each goes under its status in the error table. */
      readonly problems: readonly AnswerCode[];
      readonly pages?: never;
    }
  | {
      /** The error pages it shows, grouped by what they mean; each under its page status in the table. */
      readonly pages: readonly PageGroup[];
      readonly problems?: never;
    };

/**
 * What the document says about one route. Every operation may also answer 500 `internal-error`, and
 * a route the manifest guards with AWS IAM answers 403 `admin-forbidden`; the assembler
 * (openapi-document.ts) adds both, so no operation lists them.
 */
export type OperationSpec = {
  readonly summary: string;
  readonly description?: string;
  /**
   * The caller presents a LINE token (`Authorization: Bearer`). A route the manifest guards with
   * AWS IAM takes its security from the manifest instead.
   */
  readonly lineToken?: true;
  readonly parameters?: readonly Json[];
  readonly requestBody?: Json;
  /** The successful answers by status (and any error answer the error table cannot describe). */
  readonly responses: Readonly<Record<string, Json>>;
} & ErrorAnswers;

/** The operations of one area of the API, shown under one tag. */
export interface Area {
  readonly tag: { readonly name: string; readonly description?: string };
  readonly operations: Readonly<Record<RouteKey, OperationSpec>>;
}

/** A JSON response body. */
export const jsonBody = (schema: Json, description: string): Json => ({
  description,
  content: { 'application/json': { schema } },
});

/** A browser redirect, setting the browser-binding cookie when `cookie`. */
export const redirect = (description: string, cookie = false): Json => ({
  description,
  headers: {
    Location: headerRef('Location'),
    ...(cookie
      ? {
          'Set-Cookie': {
            description: 'The browser-binding cookie (HttpOnly, Secure, SameSite=Lax).',
            schema: { type: 'string' },
          },
        }
      : {}),
  },
});
