import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the receiver got: the exact body bytes and the headers. */
export interface ReceivedWebhook {
  rawBody: Buffer;
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON. */
  body: { destination: string; events: Array<Record<string, unknown>> };
}

/** A stand-in for the service's webhook endpoint: records what the LINE emulator sends. */
export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Status answered to the next requests (default 200). */
  status: number;
  /** Called on each request before answering (e.g. to reply through the emulator). */
  onEvent?: (received: ReceivedWebhook) => Promise<void> | void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const receiver: WebhookReceiver = {
    url: '',
    received: [],
    status: 200,
    close: async () => undefined,
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const rawBody = Buffer.concat(chunks);
        const received: ReceivedWebhook = {
          rawBody,
          headers: req.headers,
          body: JSON.parse(rawBody.toString('utf8')) as ReceivedWebhook['body'],
        };
        receiver.received.push(received);
        await receiver.onEvent?.(received);
        res.writeHead(receiver.status, { 'content-type': 'text/plain' }).end('');
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/line`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}
