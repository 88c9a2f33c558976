import { companyApiConfigured } from '../config.js';
import { linkByCompanyApi, type LinkByCompanyApiPorts } from '../core/use-cases/link-by-company-api.js';
import {
  featureDisabledHandler,
  guardedMemberLinkPorts,
  memberLinkHandler,
} from './http/member-link-request.js';
import { companyApi } from './wiring.js';

/**
 * `POST /links/by-api` — pattern 2: member number and factors checked by the company's
 * verification API. Statuses as `/links/by-record`, plus 503 `company-api-unavailable` (timeout,
 * 5xx, unreachable, after one retry, or no answer by the failure deadline) and 502
 * `company-api-bad-response` (an unexpected answer, or one about another member). Every answer
 * but a link comes at the same fixed time after the request started. Without `COMPANY_API_URL`
 * the route answers 501 `feature-disabled`.
 */
export const handler = companyApiConfigured()
  ? memberLinkHandler(linkByCompanyApi, {
      ...guardedMemberLinkPorts(),
      company: companyApi(),
    } satisfies LinkByCompanyApiPorts)
  : featureDisabledHandler('Pattern 2 (the company verification API)', 'COMPANY_API_URL');
