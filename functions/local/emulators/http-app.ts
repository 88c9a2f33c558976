/**
 * DEV AND TEST ONLY: the emulators' private web framework, not the service's. No Lambda function
 * bundles it (nothing outside `functions/local/` imports it; the service's own HTTP edge is
 * API Gateway plus middy, see `functions/handlers/http/`), and it is deliberately small: no
 * middleware, no streaming, no TLS, permissive CORS. Do not grow it into a general framework, and
 * do not use it outside the emulators.
 *
 * A tiny HTTP router on `node:http`, shared by the local emulators of the LINE Platform and of
 * the company IdP. It exists so the emulators stay dependency-free dev tools (no express) that
 * both `npm start` and the integration tests can start in-process on a random port.
 *
 * What it does: exact method + path routing (with `:param` segments), JSON and
 * `application/x-www-form-urlencoded` body parsing, query parsing, permissive CORS (the demo page
 * calls the emulators straight from the browser), JSON / HTML / redirect responses, and fault
 * injection ({@link withOutage}) so tests can see how the service behaves when a dependency is
 * down, slow or answering nonsense.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A parsed request, as handlers see it. */
export interface AppRequest {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Path without the query string, e.g. `/oauth2/v2.1/verify`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Node's lower-cased request headers. */
  readonly headers: IncomingHttpHeaders;
  /** Values of `:name` segments of the matched route. */
  readonly params: Readonly<Record<string, string>>;
  /** The parsed body when it was sent as JSON; `undefined` otherwise. */
  readonly json: unknown;
  /** The parsed body when it was sent as a form; empty otherwise. */
  readonly form: URLSearchParams;
  /** The body as text (empty for bodiless requests). */
  readonly rawBody: string;
  /** The body as bytes (binary uploads such as images). */
  readonly bytes: Buffer;
  /** Aborted when the client goes away or the app closes, so slow handlers can stop waiting. */
  readonly signal: AbortSignal;
}

/** What a handler answers. `body` is sent as is; use {@link json} / {@link html} to build one. */
export interface AppResponse {
  status: number;
  headers?: Record<string, string>;
  /** Text, or bytes (an image). */
  body?: string | Buffer;
}

/** Returned by a handler to destroy the socket without any response (an emulated crash). */
export const DROP_CONNECTION: unique symbol = Symbol('drop-connection');

export type HandlerResult = AppResponse | typeof DROP_CONNECTION;
export type Handler = (req: AppRequest) => HandlerResult | Promise<HandlerResult>;

/** A JSON response. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): AppResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

/** An HTML response (the emulators' authorize and consent pages). */
export function html(status: number, body: string, headers: Record<string, string> = {}): AppResponse {
  return { status, headers: { 'content-type': 'text/html; charset=utf-8', ...headers }, body };
}

/** A redirect, e.g. from an authorize page back to the client's `redirect_uri`. */
export function redirect(location: string, status: 302 | 303 = 302): AppResponse {
  return { status, headers: { location }, body: '' };
}

/** Thrown by a handler to answer with `response` (typically a 4xx) from any depth. */
export class HttpError extends Error {
  constructor(readonly response: AppResponse) {
    super(`HTTP ${response.status}`);
    this.name = 'HttpError';
  }
}

/**
 * Emulated failure modes of an external service:
 * - `down`: the socket is destroyed without a response (connection reset);
 * - `slow`: the normal answer, after a delay (5 s unless configured);
 * - `garbage`: 200 whose body is not JSON although it claims to be;
 * - `error500`: 500 with a JSON error body.
 */
export type Outage = 'down' | 'slow' | 'garbage' | 'error500';

/** Default delay of the `slow` outage: longer than any sane client timeout for these calls. */
export const DEFAULT_SLOW_MS = 5000;

/**
 * Wraps `handler` so it misbehaves as `mode()` says at the time of each request. The mode is read
 * per request, so tests can switch outages on and off between calls.
 */
export function withOutage(mode: () => Outage | null, slowMs: number, handler: Handler): Handler {
  return async (req) => {
    switch (mode()) {
      case 'down':
        return DROP_CONNECTION;
      case 'slow':
        try {
          await sleep(slowMs, undefined, { signal: req.signal });
        } catch {
          return DROP_CONNECTION; // the client left or the emulator closed while we waited
        }
        return handler(req);
      case 'garbage':
        return {
          status: 200,
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: '<html><body>502 Bad Gateway (emulated garbage)</body></html>',
        };
      case 'error500':
        return json(500, { error: 'server_error', error_description: 'Emulated outage (error500).' });
      default:
        return handler(req);
    }
  };
}

/** A listening app. */
export interface RunningApp {
  /** Origin without a trailing slash, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  /** Stops listening, drops open connections (keep-alive ones too) and aborts pending handlers. */
  close(): Promise<void>;
}

export interface HttpAppOptions {
  /** Largest accepted request body; LINE documents 2 MB. */
  maxBodyBytes?: number;
  /** Called with errors thrown by handlers (other than {@link HttpError}); default `console.error`. */
  onError?: (error: unknown, req: { method: string; path: string }) => void;
}

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

const CORS_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';

/** Method + path router. Register routes, then {@link HttpApp.listen}. */
export class HttpApp {
  private readonly routes: Route[] = [];
  private readonly maxBodyBytes: number;
  private readonly onError: NonNullable<HttpAppOptions['onError']>;

  constructor(options: HttpAppOptions = {}) {
    this.maxBodyBytes = options.maxBodyBytes ?? 2 * 1024 * 1024;
    this.onError =
      options.onError ??
      ((error, req) => console.error(`[emulator] ${req.method} ${req.path} failed:`, error));
  }

  /** Registers `handler` for `method` and `path`; `:name` segments match any one segment. */
  route(method: string, path: string, handler: Handler): this {
    this.routes.push({ method: method.toUpperCase(), segments: splitPath(path), handler });
    return this;
  }

  get(path: string, handler: Handler): this {
    return this.route('GET', path, handler);
  }

  post(path: string, handler: Handler): this {
    return this.route('POST', path, handler);
  }

  /** Starts listening; `port` 0 picks a free port. */
  listen(options: { host?: string; port?: number } = {}): Promise<RunningApp> {
    const host = options.host ?? '127.0.0.1';
    const closing = new AbortController();
    const server = createServer((req, res) => {
      void this.dispatch(req, res, closing.signal);
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        const { port } = server.address() as AddressInfo;
        const hostPart = host.includes(':') ? `[${host}]` : host;
        let closed: Promise<void> | undefined;
        resolve({
          url: `http://${hostPart}:${port}`,
          close: () => {
            closed ??= new Promise<void>((done) => {
              closing.abort();
              server.close(() => done());
              server.closeAllConnections();
            });
            return closed;
          },
        });
      });
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, appSignal: AbortSignal): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const target = new URL(req.url ?? '/', 'http://emulator.invalid');
    const path = target.pathname;
    const send = (result: HandlerResult) => write(req, res, result);

    if (method === 'OPTIONS') {
      // CORS preflight: anything goes, these are local dev tools.
      send({
        status: 204,
        headers: {
          'access-control-allow-methods': CORS_METHODS,
          'access-control-allow-headers':
            headerValue(req.headers['access-control-request-headers']) ?? 'authorization, content-type',
          'access-control-max-age': '600',
        },
      });
      return;
    }

    const segments = splitPath(path);
    const candidates = this.routes
      .map((route) => ({ route, params: matchSegments(route.segments, segments) }))
      .filter((c): c is { route: Route; params: Record<string, string> } => c.params !== undefined);
    const lookupMethod = method === 'HEAD' ? 'GET' : method;
    const found = candidates.find((c) => c.route.method === lookupMethod);
    if (!found) {
      if (candidates.length > 0) {
        const allow = [...new Set(candidates.map((c) => c.route.method))].join(', ');
        send(json(405, { error: 'method_not_allowed', error_description: `Use ${allow}.` }, { allow }));
      } else {
        send(json(404, { error: 'not_found', error_description: `No route for ${method} ${path}.` }));
      }
      return;
    }

    let bytes: Buffer;
    try {
      bytes = await readBody(req, this.maxBodyBytes);
    } catch (error) {
      if (error instanceof HttpError) send(error.response);
      else res.destroy();
      return;
    }

    const rawBody = bytes.toString('utf8');
    const contentType = (headerValue(req.headers['content-type']) ?? '').split(';')[0]!.trim().toLowerCase();
    let body: unknown;
    let form = new URLSearchParams();
    if (rawBody !== '' && (contentType === 'application/json' || contentType.endsWith('+json'))) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        send(
          json(400, { error: 'invalid_request', error_description: 'The request body is not valid JSON.' }),
        );
        return;
      }
    } else if (contentType === 'application/x-www-form-urlencoded') {
      form = new URLSearchParams(rawBody);
    }

    const requestGone = new AbortController();
    res.once('close', () => requestGone.abort());
    const request: AppRequest = {
      method,
      path,
      query: target.searchParams,
      headers: req.headers,
      params: found.params,
      json: body,
      form,
      rawBody,
      bytes,
      signal: AbortSignal.any([appSignal, requestGone.signal]),
    };

    try {
      send(await found.route.handler(request));
    } catch (error) {
      if (error instanceof HttpError) {
        send(error.response);
      } else {
        if (!appSignal.aborted) this.onError(error, { method, path });
        send(json(500, { error: 'server_error', error_description: 'The emulator failed; see its log.' }));
      }
    }
  }
}

function write(req: IncomingMessage, res: ServerResponse, result: HandlerResult): void {
  if (res.destroyed || res.writableEnded) return;
  if (result === DROP_CONNECTION) {
    req.socket.destroy();
    return;
  }
  const body = result.body ?? '';
  res.writeHead(result.status, {
    'access-control-allow-origin': '*',
    'access-control-expose-headers': '*',
    'cache-control': 'no-store',
    ...result.headers,
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        return; // keep draining so the 413 can be delivered
      }
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) {
        reject(
          new HttpError(
            json(413, { error: 'invalid_request', error_description: 'Request body too large.' }),
          ),
        );
      } else {
        resolve(Buffer.concat(chunks));
      }
    });
    req.on('error', reject);
  });
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const a = actual[i]!;
    if (p.startsWith(':')) {
      try {
        params[p.slice(1)] = decodeURIComponent(a);
      } catch {
        return undefined;
      }
    } else if (p !== a) {
      return undefined;
    }
  }
  return params;
}

/** First value of a possibly repeated header. */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
