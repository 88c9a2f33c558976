import { EVENT_FUNCTIONS, type EventFunctionDefinition } from '../functions/manifest/functions.js';
import { FALLBACK_ROUTE, ROUTES, type RouteDefinition } from '../functions/manifest/routes.js';
import { routeEnabled, secretNeeded, type SecretName, type Settings } from './settings.js';

/** What one deployment contains, derived from the functions manifest and the settings. */
export interface DeploymentPlan {
  /** Routes whose settings groups are all enabled by the deployment's patterns. */
  readonly routes: readonly RouteDefinition[];
  readonly fallback: typeof FALLBACK_ROUTE;
  /**
   * Event functions (queue workers, the links stream, the S3 member import) whose settings groups
   * are all enabled, as the routes.
   */
  readonly events: readonly EventFunctionDefinition[];
  /** Secrets some deployed function reads. */
  readonly secrets: readonly SecretName[];
}

export function planDeployment(settings: Settings): DeploymentPlan {
  const routes = ROUTES.filter((route) => routeEnabled(settings, route));
  const events = EVENT_FUNCTIONS.filter((fn) => routeEnabled(settings, fn));
  const used = new Set<SecretName>([...routes, ...events].flatMap((fn) => fn.secrets));
  return {
    routes,
    fallback: FALLBACK_ROUTE,
    events,
    secrets: [...used].filter((secret) =>
      secretNeeded(
        settings,
        secret,
        [...routes, ...events].filter((fn) => fn.secrets.includes(secret)).map((fn) => fn.handler),
      ),
    ),
  };
}
