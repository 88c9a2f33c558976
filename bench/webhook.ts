import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Agent, request } from 'node:http';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../functions/adapters/dynamo/dynamo-client.js';
import { loadDynamoConfig, tableName } from '../functions/config.js';
import { startDevStack } from '../functions/local/dev-stack.js';
import { BOT_USER_ID, testLineUserId } from '../functions/local/emulators/test-identities.js';
import { linkWriter } from './link-write.js';
import { applyLikeTheProject } from './webhook-burst.js';
import { interleave, ms, percentile } from './stats.js';
import type { BenchRow, BenchSuite } from './types.js';

/**
 * `POST /webhook/line` with one signed `follow` event of a linked user, through the local server,
 * vs the least any webhook must do for it: a bare HMAC-SHA256 check of the body plus the same
 * DynamoDB calls sent straight to DynamoDB Local (the friendship and the link read consistently,
 * then one TransactWriteItems with the claim, the friendship, the link's `friend` and the audit
 * event: {@link applyLikeTheProject}). The body's `destination` is the emulated bot's user ID,
 * which the webhook learns from LINE at cold start (a delivery for another bot is ignored).
 */
const suite: BenchSuite = {
  name: 'webhook',
  async run({ large }) {
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    // The dev stack's defaults may not include the Messaging API channel yet.
    process.env.LINE_MESSAGING_CHANNEL_ID ??= '2000000101';
    process.env.LINE_MESSAGING_CHANNEL_SECRET ??= 'bench-messaging-channel-secret-0';
    const stack = await startDevStack({ port: 0 });
    try {
      return await webhookRows(stack.api.url, large);
    } finally {
      await stack.close();
    }
  },
};
export default suite;

async function webhookRows(api: string, large: boolean): Promise<BenchRow[]> {
  const rounds = large ? 1000 : 300;
  const secret = process.env.LINE_MESSAGING_CHANNEL_SECRET!;
  const doc = createDocumentClient(loadDynamoConfig(process.env));
  const links = tableName('links', process.env);
  const messaging = tableName('messaging', process.env);
  const audit = tableName('audit', process.env);
  const run = randomBytes(3).toString('hex');
  const user = (side: string, i: number) => testLineUserId(`bench-webhook-${side}-${run}-${i}`);

  // Linked users, made ahead of time (linking is another row's work).
  const writeLink = linkWriter(doc, {
    links,
    messaging,
    sessions: tableName('sessions', process.env),
    audit,
  });
  for (const side of ['project', 'base']) {
    for (let i = 0; i < rounds + 20; i++) {
      await doc.send(writeLink({ lineUserId: user(side, i), companyUserId: `M-WH-${side}-${run}-${i}` }));
    }
  }
  const body = (userId: string) =>
    JSON.stringify({
      destination: BOT_USER_ID,
      events: [
        {
          type: 'follow',
          mode: 'active',
          timestamp: Date.now(),
          source: { type: 'user', userId },
          webhookEventId: `01B${randomBytes(12).toString('hex').toUpperCase()}`,
          deliveryContext: { isRedelivery: false },
          replyToken: randomBytes(16).toString('hex'),
          follow: { isUnblocked: false },
        },
      ],
    });
  const sign = (text: string) => createHmac('sha256', secret).update(text).digest('base64');

  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(`${api}/webhook/line`);
  const post = (text: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'content-length': String(Buffer.byteLength(text)),
            'x-line-signature': sign(text),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(text);
    });

  let p = 0;
  const project = async () => {
    const text = body(user('project', p++));
    const start = performance.now();
    const status = await post(text);
    if (status !== 200) throw new Error(`POST /webhook/line answered ${status}`);
    return performance.now() - start;
  };
  let b = 0;
  const baseline = async () => {
    const userId = user('base', b++);
    const text = body(userId);
    const signature = sign(text);
    const start = performance.now();
    const expected = createHmac('sha256', secret).update(Buffer.from(text)).digest();
    if (!timingSafeEqual(expected, Buffer.from(signature, 'base64'))) throw new Error('bad signature');
    const parsed = JSON.parse(text) as { events: Array<Parameters<typeof applyLikeTheProject>[2]> };
    for (const event of parsed.events) await applyLikeTheProject(doc, { messaging, links, audit }, event);
    return performance.now() - start;
  };

  for (let i = 0; i < 20; i++) {
    await project();
    await baseline();
  }
  const samples = await interleave(rounds, project, baseline);
  // The project's events were applied, not ignored (a wrong `destination` is answered 200 too).
  const last = await doc.send(
    new GetCommand({
      TableName: messaging,
      Key: { pk: `FRIEND#${user('project', p - 1)}` },
      ConsistentRead: true,
    }),
  );
  if (last.Item?.friend !== true) throw new Error('webhook: the project did not apply its follow events');
  doc.destroy();
  agent.destroy();
  const row = (pct: number): BenchRow => {
    const a = percentile(samples.project, pct);
    const c = percentile(samples.baseline, pct);
    return {
      name: `POST /webhook/line follow p${pct} (local server / bare HMAC + same DynamoDB ops)`,
      project: ms(a),
      baseline: ms(c),
      ratio: a / c,
      target: pct === 50 ? '≤ 1.5' : 'report',
      pass: pct === 50 ? a / c <= 1.5 : true,
    };
  };
  return [row(50), row(99)];
}
