import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What goes wrong with one DynamoDB request, as AWS does it every day:
 *
 * - `throttle`: answered 400 `ThrottlingException` without reaching the table (the SDK retries it);
 * - `server-error`: answered 500 `InternalServerError` without reaching the table (retried too);
 * - `reset-before`: the connection is reset before the request reaches the table;
 * - `reset-after`: the request is applied, then the connection is reset: the write happened and
 *   its answer is lost (the SDK sends it again);
 * - `stall`: no answer at all for `stallMs` (default: until the proxy closes), then it is
 *   forwarded; the client's own timeout decides what happens.
 */
export type DynamoFaultKind = 'throttle' | 'server-error' | 'reset-before' | 'reset-after' | 'stall';

/** Which requests a fault applies to; every given field must match. */
export interface DynamoRequestMatch {
  /** DynamoDB operation(s), as in `X-Amz-Target` (`PutItem`, `TransactWriteItems`, ...). */
  operation?: string | readonly string[];
  /** A table the request touches (`TableName`, or any table of a batch or a transaction). */
  table?: string;
  /** Any further test on the parsed request body. */
  when?: (body: Record<string, unknown>) => boolean;
}

export interface DynamoFault extends DynamoRequestMatch {
  kind: DynamoFaultKind;
  /** How many matching requests it hits (default 1; `Infinity` for all until cleared). */
  times?: number;
  /** For `stall`: how long the answer is held back (default: until the proxy closes). */
  stallMs?: number;
}

/** One request the proxy saw. */
export interface DynamoProxyCall {
  operation: string;
  tables: string[];
  body: Record<string, unknown>;
  /** The fault applied to it, if any. */
  fault?: DynamoFaultKind;
  /** The status DynamoDB (or the fault) answered; undefined when no answer was given. */
  status?: number;
}

export interface DynamoFaultProxy {
  /** Point the code under test's DynamoDB endpoint here. */
  readonly endpoint: string;
  /** Every request seen, in arrival order. */
  readonly calls: DynamoProxyCall[];
  /** Adds a fault; faults are tried in the order added, the first matching one with hits left applies. */
  inject(fault: DynamoFault): void;
  /** Removes every pending fault and forgets the calls seen. */
  clear(): void;
  /** Calls seen that match (e.g. how many PutItems reached the messaging table). */
  count(match?: DynamoRequestMatch): number;
  close(): Promise<void>;
}

const AWS_JSON = 'application/x-amz-json-1.0';

/**
 * An HTTP proxy in front of DynamoDB Local that injects faults at the HTTP level, so tests see
 * exactly what the AWS SDK does with them: its retries, its timeouts, its error types. Nothing is
 * mocked in the SDK.
 */
export async function startDynamoFaultProxy(target: string): Promise<DynamoFaultProxy> {
  const upstream = new URL(target);
  const faults: Array<DynamoFault & { left: number }> = [];
  const calls: DynamoProxyCall[] = [];
  const sockets = new Set<Socket>();
  const stalls = new Set<() => void>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void handle(req, res, Buffer.concat(chunks));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      // Forwarded as it is; DynamoDB answers it.
    }
    const call: DynamoProxyCall = { operation, tables: tablesOf(body), body };
    calls.push(call);
    const fault = faults.find((f) => f.left > 0 && matches(f, call));
    if (fault) {
      fault.left -= 1;
      call.fault = fault.kind;
    }
    switch (fault?.kind) {
      case 'throttle':
        return answerError(
          res,
          call,
          400,
          'ThrottlingException',
          'Rate of requests exceeds the allowed throughput.',
        );
      case 'server-error':
        return answerError(res, call, 500, 'InternalServerError', 'Internal server error');
      case 'reset-before':
        req.socket.destroy();
        return;
      case 'stall': {
        const released = await new Promise<boolean>((resolve) => {
          const release = () => resolve(false);
          stalls.add(release);
          if (fault.stallMs !== undefined) {
            setTimeout(() => {
              stalls.delete(release);
              resolve(true);
            }, fault.stallMs).unref();
          }
        });
        if (!released || req.socket.destroyed) return;
        break;
      }
      default:
        break;
    }
    let answer: { status: number; headers: Record<string, string>; body: Buffer };
    try {
      answer = await forward(req, raw);
    } catch {
      req.socket.destroy();
      return;
    }
    call.status = answer.status;
    if (fault?.kind === 'reset-after') {
      call.status = undefined;
      req.socket.destroy();
      return;
    }
    if (req.socket.destroyed) return;
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }

  function forward(
    req: IncomingMessage,
    raw: Buffer,
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string' && name !== 'host' && name !== 'connection') headers[name] = value;
      }
      headers['content-length'] = String(raw.length);
      const out = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: { ...headers, host: upstream.host },
        },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => parts.push(chunk));
          answer.on('end', () => {
            const back: Record<string, string> = {};
            for (const [name, value] of Object.entries(answer.headers)) {
              if (typeof value === 'string' && name !== 'connection' && name !== 'transfer-encoding') {
                back[name] = value;
              }
            }
            const bytes = Buffer.concat(parts);
            back['content-length'] = String(bytes.length);
            resolve({ status: answer.statusCode ?? 500, headers: back, body: bytes });
          });
          answer.on('error', reject);
        },
      );
      out.on('error', reject);
      out.end(raw);
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    inject(fault) {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    clear() {
      faults.length = 0;
      calls.length = 0;
    },
    count(match = {}) {
      return calls.filter((c) => matches(match, c)).length;
    },
    async close() {
      for (const release of stalls) release();
      stalls.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function answerError(
  res: ServerResponse,
  call: DynamoProxyCall,
  status: number,
  type: string,
  message: string,
) {
  call.status = status;
  const body = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message });
  res.writeHead(status, { 'content-type': AWS_JSON, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

function matches(match: DynamoRequestMatch, call: DynamoProxyCall): boolean {
  if (match.operation !== undefined) {
    const ops = typeof match.operation === 'string' ? [match.operation] : match.operation;
    if (!ops.includes(call.operation)) return false;
  }
  if (match.table !== undefined && !call.tables.includes(match.table)) return false;
  if (match.when && !match.when(call.body)) return false;
  return true;
}

/** Every table a request touches: `TableName`, batch `RequestItems`, or the items of a transaction. */
function tablesOf(body: Record<string, unknown>): string[] {
  const tables = new Set<string>();
  if (typeof body.TableName === 'string') tables.add(body.TableName);
  if (body.RequestItems && typeof body.RequestItems === 'object') {
    for (const name of Object.keys(body.RequestItems)) tables.add(name);
  }
  if (Array.isArray(body.TransactItems)) {
    for (const item of body.TransactItems as Array<Record<string, { TableName?: unknown }>>) {
      for (const op of Object.values(item)) {
        if (op && typeof op.TableName === 'string') tables.add(op.TableName);
      }
    }
  }
  return [...tables];
}
