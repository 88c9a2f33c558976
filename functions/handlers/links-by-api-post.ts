import { linkByCompanyApi, type LinkByCompanyApiPorts } from '../core/use-cases/link-by-company-api.js';
import { featureDisabledHandler, memberLinkHandler } from './http/member-link-request.js';

/**
 * `POST /links/by-api` — pattern 2: member number and factors checked by the company's
 * verification API. Statuses as `/links/by-record`, plus 503 `company-api-unavailable` (timeout,
 * 5xx, unreachable, after one retry, or no answer by the failure deadline) and 502
 * `company-api-bad-response` (an unexpected answer, or one about another member). Every answer
 * but a link comes at the same fixed time after the request started. Without `COMPANY_API_URL`
 * (no ports: the pattern is off) the route answers 501 `feature-disabled`.
 */
export function createLinksByApiPostHandler(ports: LinkByCompanyApiPorts | undefined) {
  return ports
    ? memberLinkHandler(linkByCompanyApi, ports)
    : featureDisabledHandler('Pattern 2 (the company verification API)', 'COMPANY_API_URL');
}
