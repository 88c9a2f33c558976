import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { issueLinkNonce, type IssueLinkNoncePorts } from '../core/use-cases/issue-link-nonce.js';
import { httpEdge } from './http/middlewares.js';
import { json } from './http/responses.js';

/**
 * `POST /links/nonce` — 201 `{"nonce", "expiresAt"}`: a one-time nonce for an app's LINE login
 * (the LINE SDK's ID token nonce), which `POST /links` requires where LINE_REQUIRE_NONCE is on.
 * No LINE bearer is needed (the app has not logged in to LINE yet) and no body is read. The
 * nonce is bound to this response: only its caller has it (`Cache-Control: no-store`).
 */
export function createLinksNoncePostHandler(ports: IssueLinkNoncePorts) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(httpEdge())
    .handler(async () => json(201, await issueLinkNonce(ports)));
}
