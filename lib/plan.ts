import { existsSync } from 'node:fs';
import { FALLBACK_ROUTE, ROUTES, type RouteDefinition } from '../functions/manifest/routes.js';
import { handlerEntry } from './bundling.js';
import { routeEnabled, secretNeeded, type SecretName, type Settings } from './settings.js';

/** The member import handler (S3 trigger) and what it uses besides its bucket. */
export const MEMBER_IMPORT = {
  handler: 'members-import-s3',
  // Differential import: BatchGetItem of content hashes, BatchWriteItem of puts and deletes, a
  // one-item Scan (is the table empty?) and, with MEMBERS_IMPORT_DELETE_MISSING, a parallel Scan of keys.
  tables: [{ table: 'members', actions: ['BatchGetItem', 'BatchWriteItem', 'Scan'] }],
  secrets: ['MEMBER_HASH_PEPPER'],
  settings: ['member-factors'],
  /** Settings of the import itself (functions/config.ts, loadMemberImportSettings). */
  variables: ['MEMBERS_IMPORT_DELETE_MISSING', 'MEMBERS_IMPORT_CONCURRENCY'],
} as const satisfies Pick<RouteDefinition, 'handler' | 'tables' | 'secrets' | 'settings'> & {
  variables: readonly string[];
};

/** What one deployment contains, derived from the routes manifest and the settings. */
export interface DeploymentPlan {
  /** Routes whose settings groups are all enabled by the deployment's patterns. */
  readonly routes: readonly RouteDefinition[];
  readonly fallback: typeof FALLBACK_ROUTE;
  /** The S3 import path: with pattern `record`, once its handler exists. */
  readonly memberImport: boolean;
  /** Secrets some deployed function reads. */
  readonly secrets: readonly SecretName[];
}

export function planDeployment(
  settings: Settings,
  options: { handlerExists?: (handler: string) => boolean } = {},
): DeploymentPlan {
  const handlerExists = options.handlerExists ?? ((handler: string) => existsSync(handlerEntry(handler)));
  const routes = ROUTES.filter((route) => routeEnabled(settings, route));
  const memberImport = routeEnabled(settings, MEMBER_IMPORT) && handlerExists(MEMBER_IMPORT.handler);
  const used = new Set<SecretName>([
    ...routes.flatMap((r) => r.secrets),
    ...(memberImport ? MEMBER_IMPORT.secrets : []),
  ]);
  return {
    routes,
    fallback: FALLBACK_ROUTE,
    memberImport,
    secrets: [...used].filter((secret) => secretNeeded(settings, secret)),
  };
}
