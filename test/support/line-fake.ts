import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake LINE API received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** What a route of the fake answers (status, JSON body, headers), or a promise of it. */
export type FakeAnswer = { status: number; json?: unknown; headers?: Record<string, string> };
export type FakeRoute = (request: RecordedRequest) => FakeAnswer | Promise<FakeAnswer>;

/** An in-test HTTP stand-in for parts of the LINE API; routes keyed `METHOD /path`. */
export interface LineFake {
  url: string;
  requests: RecordedRequest[];
  routes: Map<string, FakeRoute>;
  close(): Promise<void>;
}

/**
 * Starts a tiny HTTP server answering the given routes and recording every request. Anything
 * without a route is forwarded to `fallback` (e.g. the LINE emulator) when one is given, else 404.
 */
export async function startLineFake(routes: Record<string, FakeRoute>, fallback?: string): Promise<LineFake> {
  const requests: RecordedRequest[] = [];
  const table = new Map(Object.entries(routes));
  const server: Server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://fake');
      const recorded = { method: req.method ?? 'GET', path: url.pathname, headers: req.headers, body };
      const route = table.get(`${recorded.method} ${recorded.path}`);
      if (!route && fallback) {
        const headers = { ...req.headers } as Record<string, string>;
        delete headers.host;
        const forwarded = await fetch(`${fallback}${req.url}`, {
          method: recorded.method,
          headers,
          body: body || undefined,
          redirect: 'manual',
        });
        const headersOut: Record<string, string> = {};
        forwarded.headers.forEach((value, name) => {
          if (name !== 'content-length' && name !== 'content-encoding' && name !== 'transfer-encoding')
            headersOut[name] = value;
        });
        res.writeHead(forwarded.status, headersOut);
        res.end(Buffer.from(await forwarded.arrayBuffer()));
        return;
      }
      requests.push(recorded);
      const answer = route ? await route(recorded) : { status: 404, json: { message: 'Not found' } };
      res.writeHead(answer.status, {
        ...(answer.json === undefined ? {} : { 'content-type': 'application/json' }),
        ...answer.headers,
      });
      res.end(answer.json === undefined ? undefined : JSON.stringify(answer.json));
    })().catch(() => {
      res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    routes: table,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
