import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadCompanyOidcConfig, loadLineConfig } from '../config.js';
import { createDocumentClient } from '../adapters/dynamo/dynamo-client.js';
import { DynamoLinkRepository } from '../adapters/dynamo/dynamo-link-repository.js';
import { tableName } from '../adapters/dynamo/table-definitions.js';
import { LinePlatformClient } from '../adapters/line/line-platform-client.js';
import { OidcCompanyVerifier } from '../adapters/company/oidc-company-verifier.js';

/**
 * Adapters a handler plugs into its use case, each built once per execution environment on
 * first use (handlers call these at module scope, so configuration errors fail the cold start
 * and caches such as JWKS survive across invocations).
 */
function once<T>(factory: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= factory());
}

export const documentClient = once<DynamoDBDocumentClient>(() => createDocumentClient());

export const lineConfig = once(() => loadLineConfig());

export const linePlatform = once(() => new LinePlatformClient(lineConfig()));

export const companyVerifier = once(() => new OidcCompanyVerifier(loadCompanyOidcConfig()));

export const linkRepository = once(() => new DynamoLinkRepository(documentClient(), tableName('links')));
