import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The bot user ID the fake answers at `GET /v2/bot/info` unless told another. */
export const FAKE_BOT_USER_ID = `U${'0'.repeat(32)}`;

/**
 * LINE's Messaging API bot endpoints for integration tests (stateless channel access tokens, bot
 * info, link tokens, replies, audience uploads) as in https://developers.line.biz/en/reference/messaging-api/, recording what
 * the service sent. Every other path is forwarded to `upstream` (the LINE Platform emulator), so
 * one LINE_API_BASE serves both.
 */
export interface LineBotFake {
  url: string;
  /** The LINE Platform emulator's URL, for everything that is not a bot endpoint. */
  upstream: string;
  tokensIssued: number;
  linkTokens: Array<{ userId: string; linkToken: string }>;
  replies: Array<{ replyToken: string; messages: Array<Record<string, unknown>> }>;
  /** The number of requests with an unknown or missing channel access token. */
  unauthorized: number;
  /** LINE users who have the Official Account as a friend (`GET /friendship/v1/status`). */
  friends: Set<string>;
  /** `GET /friendship/v1/status` answers 500, as LINE being down. */
  friendshipDown: boolean;
  /** Audiences uploaded by user IDs (`POST` / `PUT /v2/bot/audienceGroup/upload`), by ID. */
  audiences: Map<number, { description: string; userIds: string[] }>;
  close(): Promise<void>;
}

export async function startLineBotFake(channel: {
  channelId: string;
  channelSecret: string;
  /** `GET /v2/bot/info` `userId`: the `destination` of the bot's webhooks. Default {@link FAKE_BOT_USER_ID}. */
  botUserId?: string;
}): Promise<LineBotFake> {
  const tokens = new Set<string>();
  const state: Omit<LineBotFake, 'url' | 'close'> = {
    upstream: '',
    tokensIssued: 0,
    linkTokens: [],
    replies: [],
    unauthorized: 0,
    friends: new Set<string>(),
    friendshipDown: false,
    audiences: new Map(),
  };
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const authorized = (req: IncomingMessage) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token && tokens.has(token)) return true;
    state.unauthorized++;
    return false;
  };
  const server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const path = new URL(req.url ?? '/', 'http://fake').pathname;
      if (req.method === 'POST' && path === '/oauth2/v3/token') {
        const form = new URLSearchParams(body.toString('utf8'));
        if (
          form.get('grant_type') !== 'client_credentials' ||
          form.get('client_id') !== channel.channelId ||
          form.get('client_secret') !== channel.channelSecret
        )
          return send(res, 400, { error: 'invalid_client', error_description: 'bad credentials' });
        const token = randomBytes(16).toString('hex');
        tokens.add(token);
        state.tokensIssued++;
        return send(res, 200, { token_type: 'Bearer', access_token: token, expires_in: 900 });
      }
      if (req.method === 'GET' && path === '/v2/bot/info') {
        if (!authorized(req)) return send(res, 401, { message: 'Authentication failed' });
        return send(res, 200, {
          userId: channel.botUserId ?? FAKE_BOT_USER_ID,
          basicId: '@000fake',
          displayName: 'Fake bot',
          chatMode: 'bot',
          markAsReadMode: 'auto',
        });
      }
      const linkToken = /^\/v2\/bot\/user\/(U[0-9a-f]{32})\/linkToken$/.exec(path);
      if (req.method === 'POST' && linkToken) {
        if (!authorized(req)) return send(res, 401, { message: 'Authentication failed' });
        const issued = randomBytes(24).toString('base64url');
        state.linkTokens.push({ userId: linkToken[1]!, linkToken: issued });
        return send(res, 200, { linkToken: issued });
      }
      if (req.method === 'POST' && path === '/v2/bot/message/reply') {
        if (!authorized(req)) return send(res, 401, { message: 'Authentication failed' });
        state.replies.push(JSON.parse(body.toString('utf8')) as LineBotFake['replies'][number]);
        return send(res, 200, { sentMessages: [] });
      }
      if (req.method === 'GET' && path === '/friendship/v1/status') {
        if (state.friendshipDown) return send(res, 500, { message: 'Internal server error' });
        // The user of the LINE Login access token, as the emulator knows it.
        const profile = await fetch(`${state.upstream}/v2/profile`, {
          headers: { authorization: req.headers.authorization ?? '' },
        });
        if (profile.status !== 200) return send(res, 401, { message: 'invalid token' });
        const { userId } = (await profile.json()) as { userId: string };
        return send(res, 200, { friendFlag: state.friends.has(userId) });
      }
      // https://developers.line.biz/en/reference/messaging-api/#create-upload-audience-group
      if (path === '/v2/bot/audienceGroup/upload' && (req.method === 'POST' || req.method === 'PUT')) {
        if (!authorized(req)) return send(res, 401, { message: 'Authentication failed' });
        const upload = JSON.parse(body.toString('utf8')) as {
          description?: string;
          audienceGroupId?: number;
          audiences: Array<{ id: string }>;
        };
        const userIds = upload.audiences.map((a) => a.id);
        if (req.method === 'PUT') {
          const group = state.audiences.get(Number(upload.audienceGroupId));
          if (!group) return send(res, 400, { message: 'AUDIENCE_GROUP_NOT_FOUND' });
          group.userIds.push(...userIds);
          return send(res, 202, {});
        }
        const audienceGroupId = state.audiences.size + 1;
        state.audiences.set(audienceGroupId, { description: upload.description ?? '', userIds });
        return send(res, 202, {
          audienceGroupId,
          createRoute: 'MESSAGING_API',
          type: 'UPLOAD',
          description: upload.description,
          created: Math.floor(Date.now() / 1000),
          permission: 'READ_WRITE',
          expireTimestamp: Math.floor(Date.now() / 1000) + 180 * 86400,
          isIfaAudience: false,
        });
      }
      // Anything else: the LINE Platform emulator.
      const headers = { ...req.headers } as Record<string, string>;
      delete headers.host;
      delete headers['content-length'];
      const forwarded = await fetch(`${state.upstream}${req.url}`, {
        method: req.method,
        headers,
        body: req.method === 'GET' || req.method === 'HEAD' ? undefined : new Uint8Array(body),
        redirect: 'manual',
      });
      const answer: Record<string, string> = {};
      forwarded.headers.forEach((value, name) => (answer[name] = value));
      delete answer['content-encoding'];
      delete answer['content-length'];
      delete answer['transfer-encoding'];
      res.writeHead(forwarded.status, answer);
      res.end(Buffer.from(await forwarded.arrayBuffer()));
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
