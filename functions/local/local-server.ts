import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROUTES, type RouteDefinition } from '../manifest/routes.js';
import type { Env } from '../config.js';
import { createApiGatewayListener, type GatewayLogEntry } from './api-gateway-adapter.js';
import type { LocalIamCredentials } from './sigv4.js';
import { createSourceHandlers, type SourceHandlers } from './source-handlers.js';

/** A running local API. */
export interface LocalServer {
  url: string;
  close(): Promise<void>;
}

/** Options of {@link startLocalServer}. */
export interface LocalServerOptions {
  port?: number;
  host?: string;
  routes?: readonly RouteDefinition[];
  /**
   * The environment the handlers read (functions/local/source-handlers.ts), when `handlers` is
   * not given: read at the first request, so a function may give what was set after the start.
   * Never `process.env` unless passed: unset, the handlers see an empty map.
   */
  env?: Env | (() => Env);
  /** The handlers to serve (their composition root), instead of ones built from `env`. */
  handlers?: SourceHandlers;
  corsOrigins?: readonly string[];
  /** Credentials the admin routes accept (SigV4), see api-gateway-adapter.ts. */
  iam?: LocalIamCredentials;
  /**
   * The gateway to serve instead of the handlers from the source (the deployed-artifact mode
   * passes one that invokes the bundles of cdk.out); `routes`, `env`, `handlers`, `corsOrigins` and
   * `iam` then unused.
   */
  listener?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** Serves extra, non-API paths first (the demo page); returns true when it answered. */
  extra?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  /** Called once per finished request (the dev server prints it, like `sam local`). */
  onRequest?: (entry: RequestLogEntry) => void;
  /** The gateway's own notes (IAM refusals, failed functions); default: a line on stderr. */
  onGatewayLog?: (entry: GatewayLogEntry) => void;
}

/** One finished request, for {@link LocalServerOptions.onRequest}. */
export interface RequestLogEntry {
  method: string;
  /** Path without the query string (which may carry codes or states). */
  path: string;
  status: number;
  ms: number;
}

/** `GET /links/me 200 12 ms`: one line per request. */
export function formatRequestLine(entry: RequestLogEntry): string {
  return `${entry.method} ${entry.path} ${entry.status} ${Math.round(entry.ms)} ms`;
}

/**
 * The service's handlers on a local HTTP port, behind the API Gateway adapter: what `npm start`
 * runs and what the integration tests call over HTTP.
 */
export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  const listener = options.listener ?? createApiGatewayListener(gatewayOptions(options));
  const server = createServer((req, res) => {
    if (options.onRequest) {
      const started = performance.now();
      const onRequest = options.onRequest;
      res.once('close', () =>
        onRequest({
          method: req.method ?? 'GET',
          path: new URL(req.url ?? '/', 'http://localhost').pathname,
          status: res.statusCode,
          ms: performance.now() - started,
        }),
      );
    }
    void (async () => {
      try {
        if (options.extra && (await options.extra(req, res))) return;
        await listener(req, res);
      } catch (error) {
        console.error(error);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      }
    })();
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The gateway of the handlers from the source: those given, or those built from `env` (none: an empty map). */
function gatewayOptions(options: LocalServerOptions) {
  return {
    routes: options.routes ?? ROUTES,
    handlers: options.handlers ?? createSourceHandlers(options.env ?? {}),
    corsOrigins: options.corsOrigins ?? [],
    iam: options.iam,
    log: options.onGatewayLog,
  };
}
