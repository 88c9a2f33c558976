/**
 * One send of the `send` bench, in its own process so its peak RSS is its own:
 * `node --import tsx bench/send-child.ts <project|baseline> <endpoint> <table> <lineApiBase> <channelId> <secret> <members>`.
 * Prints one JSON line: `{"sent", "seconds", "maxRssMb"}`.
 */
import { randomUUID } from 'node:crypto';
import { BatchGetItemCommand, DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../functions/adapters/dynamo/dynamo-client.js';
import { DynamoLinkRepository } from '../functions/adapters/dynamo/dynamo-link-repository.js';
import { LineChannelTokenClient } from '../functions/adapters/line/line-channel-token-client.js';
import { LineMulticastClient } from '../functions/adapters/line/line-multicast-client.js';
import { sendToMembers } from '../functions/core/use-cases/send-messages.js';

const [mode, endpoint, table, apiBase, channelId, secret, membersArg] = process.argv.slice(2);
const members = Array.from({ length: Number(membersArg) }, (_, i) => `M-${String(i).padStart(8, '0')}`);
const MESSAGES = [{ type: 'text' as const, text: 'お知らせ: 会員さま限定セールのご案内です。' }];

/** The project: the use case behind `npm run send` and `POST /admin/messages`, with its real adapters. */
async function project(): Promise<number> {
  const links = new DynamoLinkRepository(createDocumentClient({ endpoint }), table!);
  const sender = new LineMulticastClient({
    tokens: new LineChannelTokenClient({
      apiBase: apiBase!,
      channelId: channelId!,
      channelSecret: async () => secret!,
    }),
  });
  const results = await sendToMembers(
    { to: members, messages: MESSAGES },
    { links, sender, retryKey: () => randomUUID() },
  );
  return results.filter((r) => r.status === 'sent').length;
}

/**
 * The baseline: what any sender must do at least — BatchGetItem the company sides, then the LINE
 * sides (100 keys a request, the same 500-member chunks), one channel token, and one multicast
 * request with a retry key per 500 LINE user IDs; no result per member, no retries, no back-off.
 */
async function bare(): Promise<number> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const token = (await (
    await fetch(`${apiBase}/oauth2/v3/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: channelId!,
        client_secret: secret!,
      }),
    })
  ).json()) as { access_token: string };
  const get = async (pks: string[]) => {
    const items: Array<Record<string, AttributeValue>> = [];
    for (let i = 0; i < pks.length; i += 100) {
      let keys: Array<Record<string, AttributeValue>> = pks
        .slice(i, i + 100)
        .map((pk) => ({ pk: { S: pk } }));
      while (keys.length > 0) {
        const page = await client.send(
          new BatchGetItemCommand({ RequestItems: { [table!]: { Keys: keys } } }),
        );
        items.push(...(page.Responses?.[table!] ?? []));
        keys = (page.UnprocessedKeys?.[table!]?.Keys ?? []) as typeof keys;
      }
    }
    return items;
  };
  let sent = 0;
  for (let i = 0; i < members.length; i += 500) {
    const company = await get(members.slice(i, i + 500).map((m) => `COMPANY#${m}`));
    const line = await get(company.map((item) => `LINE#${item.lineUserId!.S}`));
    const to = line.map((item) => item.lineUserId!.S!);
    const response = await fetch(`${apiBase}/v2/bot/message/multicast`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token.access_token}`,
        'content-type': 'application/json',
        'x-line-retry-key': randomUUID(),
      },
      body: JSON.stringify({ to, messages: MESSAGES }),
    });
    if (!response.ok) throw new Error(`multicast answered ${response.status}`);
    sent += to.length;
  }
  client.destroy();
  return sent;
}

const start = performance.now();
const sent = mode === 'project' ? await project() : await bare();
const seconds = (performance.now() - start) / 1000;
process.stdout.write(
  `${JSON.stringify({ sent, seconds, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
);
process.exit(0);
