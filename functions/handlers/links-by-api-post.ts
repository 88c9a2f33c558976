import { linkByCompanyApi, type LinkByCompanyApiPorts } from '../core/use-cases/link-by-company-api.js';
import { guardedMemberLinkPorts, memberLinkHandler } from './http/member-link-request.js';
import { companyApi } from './wiring.js';

const ports: LinkByCompanyApiPorts = { ...guardedMemberLinkPorts(), company: companyApi() };

/**
 * `POST /links/by-api` — pattern 2: member number and factors checked by the company's
 * verification API. Statuses as `/links/by-record`, plus 503 `company-api-unavailable` (timeout,
 * 5xx, unreachable, after one retry) and 502 `company-api-bad-response` (an unexpected answer).
 */
export const handler = memberLinkHandler(linkByCompanyApi, ports);
