import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UpstreamError } from '../../../../functions/core/errors.js';
import { LineChannelTokenClient } from '../../../../functions/adapters/line/line-channel-token-client.js';
import { LineMessagingClient } from '../../../../functions/adapters/line/line-messaging-client.js';

/** A tiny stand-in for LINE's token and bot endpoints, recording what it was sent. */
let server: Server;
let base: string;
const seen: Array<{ path: string; auth?: string; body: string }> = [];
let issued = 0;
let linkTokenStatus = 200;
/** Answers the next reply with 401, as LINE does for a revoked channel access token. */
let revokeNextReply = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', auth: req.headers.authorization, body });
      res.setHeader('content-type', 'application/json');
      if (req.url === '/oauth2/v3/token') {
        const form = new URLSearchParams(body);
        if (form.get('client_id') !== '42' || form.get('client_secret') !== 'secret') {
          res.writeHead(400).end('{"error":"invalid_client"}');
          return;
        }
        issued++;
        res.end(JSON.stringify({ token_type: 'Bearer', access_token: `token-${issued}`, expires_in: 900 }));
        return;
      }
      if (req.url === '/v2/bot/message/reply' && revokeNextReply) {
        revokeNextReply = false;
        res.writeHead(401).end('{"message":"Authentication failed"}');
        return;
      }
      if (req.url?.endsWith('/linkToken')) {
        res
          .writeHead(linkTokenStatus)
          .end(linkTokenStatus === 200 ? '{"linkToken":"lt-1"}' : '{"message":"x"}');
        return;
      }
      res.end('{"sentMessages":[]}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen.length = 0;
  issued = 0;
  linkTokenStatus = 200;
  revokeNextReply = false;
});

const client = (options: { secret?: string; now?: () => number } = {}) =>
  new LineMessagingClient({
    tokens: new LineChannelTokenClient({
      apiBase: base,
      channelId: '42',
      channelSecret: async () => options.secret ?? 'secret',
      timeoutMs: 2000,
      ...(options.now ? { clock: { now: () => new Date(options.now!()) } } : {}),
    }),
    timeoutMs: 2000,
  });

describe('LineMessagingClient', () => {
  it('issues a stateless channel access token once and reuses it until shortly before expiry', async () => {
    let now = 1_000_000;
    const c = client({ now: () => now });
    expect(await c.issueLinkToken('U1')).toBe('lt-1');
    await c.reply('r1', [{ type: 'text', text: 'hi' }]);
    expect(issued).toBe(1);
    expect(seen.filter((s) => s.path !== '/oauth2/v3/token').map((s) => s.auth)).toEqual([
      'Bearer token-1',
      'Bearer token-1',
    ]);
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({
      replyToken: 'r1',
      messages: [{ type: 'text', text: 'hi' }],
    });
    now += 900_000 - 30_000; // within the last minute of the token's life
    await c.issueLinkToken('U1');
    expect(issued).toBe(2);
    expect(seen.at(-1)!.auth).toBe('Bearer token-2');
  });

  it('shares one issuance between concurrent callers', async () => {
    const c = client();
    await Promise.all([c.issueLinkToken('U1'), c.issueLinkToken('U2'), c.reply('r', [])]);
    expect(issued).toBe(1);
  });

  it('turns LINE refusals into upstream errors and retries the token after a failure', async () => {
    const wrong = client({ secret: 'wrong' });
    await expect(wrong.issueLinkToken('U1')).rejects.toBeInstanceOf(UpstreamError);
    const c = client();
    linkTokenStatus = 500;
    await expect(c.issueLinkToken('U1')).rejects.toMatchObject({ code: 'line-unavailable' });
    linkTokenStatus = 400;
    await expect(c.issueLinkToken('U1')).rejects.toMatchObject({ code: 'line-bad-response' });
  });

  it('replaces a revoked channel access token (401) once, then gives up', async () => {
    const c = client();
    await c.reply('r0', []);
    revokeNextReply = true;
    await c.reply('r1', [{ type: 'text', text: 'again' }]);
    expect(issued).toBe(2);
    expect(seen.at(-1)!.auth).toBe('Bearer token-2');
    expect(JSON.parse(seen.at(-1)!.body)).toMatchObject({ replyToken: 'r1' });
  });
});
