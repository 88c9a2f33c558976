import type { RouteDefinition } from '../../manifest/routes.js';
import { ref, type Json } from './components.js';
import type { AnswerCode } from './error-responses.js';

/** How a caller proves who it is: a LINE token, or an AWS signature for the admin routes. */
export const SECURITY_SCHEMES = {
  lineToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'A LINE ID token (JWT, from liff.getIDToken) or a LINE access token (liff.getAccessToken).',
  },
  awsSigV4: {
    type: 'apiKey',
    name: 'Authorization',
    in: 'header',
    description: 'AWS Signature Version 4 (API Gateway IAM authorization, service execute-api).',
    'x-amazon-apigateway-authtype': 'awsSigv4',
  },
} satisfies Record<string, Json>;

type SchemeName = keyof typeof SECURITY_SCHEMES;
const requirement = (scheme: SchemeName): Json[] => [{ [scheme]: [] }];

/** What a route the manifest guards with an `authorization` shows in the document. */
interface Guard {
  readonly security: Json[];
  /** The code a request the guard refuses is answered with. */
  readonly refusal: AnswerCode;
  /** Says, on the refusal's response, what else may answer it. */
  readonly explain: (refusal: { description: string; content: Record<string, Json> }) => void;
}

/**
 * One entry per kind of `authorization` in the manifest, so a new kind does not compile until the
 * document says how it shows. A request without a valid AWS signature is refused with 403: by API
 * Gateway itself in the cloud (its own JSON body), by the local server, and by the handler again if
 * a route were ever deployed without its authorizer.
 */
const GUARDS: Record<NonNullable<RouteDefinition['authorization']>, Guard> = {
  'aws-iam': {
    security: requirement('awsSigV4'),
    refusal: 'admin-forbidden',
    explain(refusal) {
      refusal.description =
        'Forbidden: admin-forbidden (unsigned, wrongly signed or expired request, or a principal without the admin policy); nothing happened. ' +
        'In the cloud API Gateway refuses such requests itself with `application/json` `{"message": …}` (header x-amzn-ErrorType).';
      refusal.content['application/json'] = { schema: ref('GatewayMessage') };
    },
  },
};

/** The guard of `route` from its manifest `authorization`, if it has one. */
export const guardOf = (route: Pick<RouteDefinition, 'authorization'>): Guard | undefined =>
  route.authorization ? GUARDS[route.authorization] : undefined;

/** The security requirement of an operation that the manifest does not guard. */
export const openSecurity = (lineToken: boolean): Json[] => (lineToken ? requirement('lineToken') : []);
