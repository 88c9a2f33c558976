import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { publicLink } from '../../core/link.js';
import type { CreateLinkResult } from '../../core/ports/index.js';
import { countMetric } from '../../observability/metrics.js';

/** A JSON response; user data is never cached by browsers or proxies. */
export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * The answer of every linking route: 201 with the new link (counted as LinksCreated), or 200
 * with the existing one when the same pair was already linked.
 */
export function linkResponse({ link, created }: CreateLinkResult): APIGatewayProxyStructuredResultV2 {
  if (created) countMetric('LinksCreated');
  return json(created ? 201 : 200, publicLink(link));
}

/** 204 with no body. */
export function noContent(): APIGatewayProxyStructuredResultV2 {
  return { statusCode: 204, headers: { 'Cache-Control': 'no-store' } };
}
