import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { systemClock } from '../core/ports.js';
import { linkByCompanyApi, type LinkByCompanyApiPorts } from '../core/use-cases/link-by-company-api.js';
import { logAttempt, MemberLinkRequest } from './http/member-link-request.js';
import { httpEdge, jsonBody, validateBody } from './http/middlewares.js';
import { bearerToken, linkResponse } from './http/responses.js';
import {
  attemptLimiter,
  auditLog,
  companyApi,
  linePlatform,
  linkRepository,
  memberFactors,
} from './wiring.js';

const ports: LinkByCompanyApiPorts = {
  line: linePlatform(),
  links: linkRepository(),
  audit: auditLog(),
  clock: systemClock,
  attempts: attemptLimiter(),
  requiredFactors: memberFactors(),
  company: companyApi(),
  observe: logAttempt,
};

/**
 * `POST /links/by-api` — pattern 2: member number and factors checked by the company's
 * verification API. Statuses as `/links/by-record`, plus 503 `company-api-unavailable` (timeout,
 * 5xx, unreachable, after one retry) and 502 `company-api-bad-response` (an unexpected answer).
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
  .use(httpEdge())
  .use(jsonBody())
  .use(validateBody(MemberLinkRequest))
  .handler(async (event) => {
    const body = event.body as unknown as MemberLinkRequest;
    const result = await linkByCompanyApi(
      {
        lineToken: bearerToken(event),
        memberId: body.memberId,
        factors: body.factors,
        consentVersion: body.consentVersion,
      },
      ports,
    );
    return linkResponse(result);
  });
