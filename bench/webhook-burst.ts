import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../functions/adapters/dynamo/dynamo-client.js';
import { InProcessWebhookWorkQueue } from '../functions/adapters/queue/webhook-work-queues.js';
import { loadDynamoConfig, tableName } from '../functions/config.js';
import { startDevStack } from '../functions/local/dev-stack.js';
import type { SourceHandlers } from '../functions/local/source-handlers.js';
import { documentClient, webhookWorkQueue } from '../functions/composition/adapters.js';
import { BOT_USER_ID, testLineUserId } from '../functions/local/emulators/test-identities.js';
import { ms, percentile, rotate } from './stats.js';
import type { BenchRow, BenchSuite } from './types.js';

/**
 * A webhook burst, as after a broadcast: 1,000 signed `follow` / `unfollow` events (700 users,
 * some with 2 or 4 events, half of them linked) posted through the local server with 50
 * deliveries in flight, against bare handlers in the same process driven by the same client at
 * the same concurrency, measured round-robin in one run:
 *
 * - **bare**: an HTTP server that checks the HMAC-SHA256 of the raw body and makes one
 *   conditional PutItem per event (the claim of its `webhookEventId`): the least any webhook
 *   that applies each event once must do;
 * - **bare + the project's DynamoDB work**: the same server making, per event, the calls the
 *   project makes (two consistent GetItems, one TransactWriteItems with the claim, the
 *   friendship, the link's `friend` and the audit event; planned again when a condition fails),
 *   so the gap splits into DynamoDB's share and the framework's (local server, middy, use case).
 *
 * Two shapes of delivery. LINE sends "an HTTP POST request with a webhook event object" per user
 * action (https://developers.line.biz/en/docs/messaging-api/receiving-messages/); the body's
 * `events` is an array and may hold several
 * (https://developers.line.biz/en/reference/messaging-api/#request-body). Follows and blocks of
 * different users are separate actions, so the main shape is one event per POST with 50 POSTs in
 * flight. The literal reading, 50 deliveries of 20 events all in flight at once, is measured too:
 * a delivery's events are applied one after the other, so it is the worst case for LINE's 2 s.
 *
 * After every project burst the tables are read back and the bench throws unless each event was
 * applied exactly once (see {@link verifyExactlyOnce}).
 */
const suite: BenchSuite = {
  name: 'webhook-burst',
  async run({ large }) {
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.LINE_MESSAGING_CHANNEL_ID ??= '2000000101';
    process.env.LINE_MESSAGING_CHANNEL_SECRET ??= 'bench-messaging-channel-secret-0';
    const stack = await startDevStack({ port: 0 });
    try {
      return await burstRows(stack.api.url, stack.handlers!, large);
    } finally {
      await stack.close();
    }
  },
};
export default suite;

/** Events per burst and deliveries in flight. */
const EVENTS = 1000;
const CONCURRENCY = 50;
/** Users with 1, 2 and 4 events: 500 + 300 + 200 = 1,000 events. */
const USERS_BY_EVENTS: ReadonlyArray<readonly [events: number, users: number]> = [
  [1, 500],
  [2, 150],
  [4, 50],
];
/** LINE's deadline for the webhook's answer. */
const LINE_DEADLINE_MS = 2000;

interface Tables {
  messaging: string;
  links: string;
  audit: string;
}

/** One event as LINE sends it (only what a follow / unfollow carries). */
interface LineEvent {
  type: 'follow' | 'unfollow';
  mode: 'active';
  timestamp: number;
  source: { type: 'user'; userId: string };
  webhookEventId: string;
  deliveryContext: { isRedelivery: boolean };
  replyToken?: string;
  follow?: { isUnblocked: boolean };
}

interface Delivery {
  body: string;
  signature: string;
  events: LineEvent[];
}

/** One burst's events, by user, each user's in time order. */
interface BurstPlan {
  users: Array<{ userId: string; linked: boolean; companyUserId: string; events: LineEvent[] }>;
  deliveries: Delivery[];
}

type Shape = 'single' | 'batched';

async function burstRows(api: string, handlers: SourceHandlers, large: boolean): Promise<BenchRow[]> {
  const rounds = large ? 6 : 3;
  const secret = process.env.LINE_MESSAGING_CHANNEL_SECRET!;
  const tables: Tables = {
    messaging: tableName('messaging', process.env),
    links: tableName('links', process.env),
    audit: tableName('audit', process.env),
  };
  const doc = createDocumentClient(loadDynamoConfig(process.env));

  // The project's own DynamoDB client (the handlers share it; imported after the stack set the
  // environment): counted per HTTP attempt, like the bare servers' clients.
  const wiring = handlers.wiring();
  const projectCalls = countRoundTrips(documentClient(wiring));
  const workQueue = webhookWorkQueue(wiring);
  if (!(workQueue instanceof InProcessWebhookWorkQueue)) throw new Error('WEBHOOK_QUEUE_URL must not be set');

  const bareClient = createDocumentClient(loadDynamoConfig(process.env));
  const bareCalls = countRoundTrips(bareClient);
  const bare = await startBareWebhook(secret, (event) => claimOnly(bareClient, tables, event));
  const opsClient = createDocumentClient(loadDynamoConfig(process.env));
  const opsCalls = countRoundTrips(opsClient);
  const ops = await startBareWebhook(secret, (event) => applyLikeTheProject(opsClient, tables, event));

  const targets = {
    project: { url: `${api}/webhook/line`, agent: keepAlive(), calls: projectCalls },
    bare: { url: bare.url, agent: keepAlive(), calls: bareCalls },
    ops: { url: ops.url, agent: keepAlive(), calls: opsCalls },
  };
  type Side = keyof typeof targets;
  const samples = {} as Record<Shape, Record<Side, number[]>>;
  const roundTrips = {} as Record<
    Side,
    {
      events: number;
      /** DynamoDB requests until the last answer, and after it. */
      calls: Map<string, number>;
      callsAfter: Map<string, number>;
      /** CPU of the bench process and of DynamoDB Local until the last answer, and after it. */
      nodeMs: number;
      dynamoMs: number;
      nodeAfterMs: number;
      dynamoAfterMs: number;
    }
  >;
  const dynamoCpu = dynamoLocalCpu(loadDynamoConfig(process.env).endpoint);
  const notes = { stale: 0, replayed: 0, burstMs: {} as Record<string, number[]> };

  let tag = 0;
  const measure = (shape: Shape, side: Side, record: boolean) => async () => {
    const target = targets[side];
    const plan = makePlan(`${side}-${shape}-${tag++}`, shape, secret);
    await linkUsers(doc, tables, plan);
    const before = new Map(target.calls);
    const cpuBefore = { node: process.cpuUsage(), dynamo: dynamoCpu() };
    const result = await burst(target.url, target.agent, plan.deliveries);
    const cpuAnswered = { node: process.cpuUsage(), dynamo: dynamoCpu() };
    const callsAnswered = new Map(target.calls);
    if (side === 'project') await workQueue.idle();
    const node = process.cpuUsage(cpuBefore.node);
    const nodeAnswered = process.cpuUsage(cpuAnswered.node);
    const dynamoDone = dynamoCpu();
    // LINE redelivers what was not answered 200; the burst must end with every event applied.
    for (const delivery of result.failed) {
      const status = await post(target.url, target.agent, redelivery(delivery, secret));
      if (status !== 200) throw new Error(`${side}: a redelivery was answered ${status}`);
      notes.replayed += delivery.events.length;
    }
    if (side === 'project') {
      await workQueue.idle();
      notes.stale += await verifyExactlyOnce(doc, tables, plan);
    }
    if (record) {
      ((samples[shape] ??= {} as Record<Side, number[]>)[side] ??= []).push(...result.times);
      (notes.burstMs[`${shape}/${side}`] ??= []).push(result.wallMs);
      const counted = (roundTrips[side] ??= {
        events: 0,
        calls: new Map(),
        callsAfter: new Map(),
        nodeMs: 0,
        dynamoMs: 0,
        nodeAfterMs: 0,
        dynamoAfterMs: 0,
      });
      counted.events += EVENTS;
      const after = (nodeAnswered.user + nodeAnswered.system) / 1000;
      counted.nodeMs += (node.user + node.system) / 1000 - after;
      counted.nodeAfterMs += after;
      counted.dynamoMs += cpuAnswered.dynamo - cpuBefore.dynamo;
      counted.dynamoAfterMs += dynamoDone - cpuAnswered.dynamo;
      for (const [name, n] of target.calls) {
        const answered = callsAnswered.get(name) ?? 0;
        counted.calls.set(name, (counted.calls.get(name) ?? 0) + answered - (before.get(name) ?? 0));
        counted.callsAfter.set(name, (counted.callsAfter.get(name) ?? 0) + n - answered);
      }
    }
    return result.wallMs;
  };

  try {
    // Warm-up: JIT, sockets, DynamoDB Local's tables and the handler's cold start.
    for (const side of Object.keys(targets) as Side[]) await measure('single', side, false)();
    for (const shape of ['single', 'batched'] as const) {
      await rotate(rounds, {
        project: measure(shape, 'project', true),
        bare: measure(shape, 'bare', true),
        ops: measure(shape, 'ops', true),
      });
    }
  } finally {
    for (const target of Object.values(targets)) target.agent.destroy();
    await Promise.all([bare.close(), ops.close()]);
    bareClient.destroy();
    opsClient.destroy();
    doc.destroy();
  }

  const perEvent = (side: Side, after = false) => {
    const { events } = roundTrips[side];
    const calls = after ? roundTrips[side].callsAfter : roundTrips[side].calls;
    const total = [...calls.values()].reduce((a, b) => a + b, 0);
    const split = [...calls].map(([name, n]) => `${(n / events).toFixed(2)} ${name.replace(/Command$/, '')}`);
    return { total: total / events, text: split.join(' + ') };
  };
  const project = perEvent('project');
  const base = perEvent('bare');
  const medianOf = (values: number[]) => percentile(values, 50);
  process.stderr.write(
    `webhook-burst: ${rounds} rounds per shape; stale events ${notes.stale}, redelivered ${notes.replayed}, resent after a reset ${resent}; ` +
      `DynamoDB calls per event until the last answer: project ${project.text}; ` +
      `bare+ops ${perEvent('ops').text}; after it (the LINE work left): ${perEvent('project', true).text}; ` +
      `burst wall time (median): ${Object.entries(notes.burstMs)
        .map(([k, v]) => `${k} ${ms(medianOf(v))}`)
        .join(', ')}; ` +
      `project CPU per event after the last answer (the LINE work left): bench process ` +
      `${ms(roundTrips.project.nodeAfterMs / roundTrips.project.events)}, DynamoDB Local ` +
      `${ms(roundTrips.project.dynamoAfterMs / roundTrips.project.events)}\n`,
  );

  const label: Record<Shape, string> = {
    single: '1,000 deliveries of 1 event, 50 in flight',
    batched: '50 deliveries of 20 events, all in flight',
  };
  const rows: BenchRow[] = [];
  for (const shape of ['single', 'batched'] as const) {
    const s = samples[shape];
    const p = (side: Side, pct: number) => percentile(s[side], pct);
    const name = (what: string) => `POST /webhook/line burst, ${label[shape]}: ${what}`;
    rows.push(
      {
        name: name('p50 (local server / bare HMAC + 1 conditional PutItem)'),
        project: ms(p('project', 50)),
        baseline: ms(p('bare', 50)),
        ratio: p('project', 50) / p('bare', 50),
        target: 'report',
        pass: true,
      },
      {
        name: name('p99 (local server / bare HMAC + 1 conditional PutItem)'),
        project: ms(p('project', 99)),
        baseline: ms(p('bare', 99)),
        ratio: p('project', 99) / p('bare', 99),
        target: '≤ 1.5',
        pass: p('project', 99) / p('bare', 99) <= 1.5,
      },
      {
        name: name("p99 against LINE's 2 s deadline (local server / 2,000 ms)"),
        project: ms(p('project', 99)),
        baseline: ms(LINE_DEADLINE_MS),
        ratio: p('project', 99) / LINE_DEADLINE_MS,
        target: '≤ 0.5',
        pass: p('project', 99) / LINE_DEADLINE_MS <= 0.5,
      },
      {
        name: name("p99 (local server / bare HMAC + the project's DynamoDB calls)"),
        project: ms(p('project', 99)),
        baseline: ms(p('ops', 99)),
        ratio: p('project', 99) / p('ops', 99),
        target: 'report',
        pass: true,
      },
      {
        name: name("p99 (bare HMAC + the project's DynamoDB calls / bare HMAC + 1 PutItem)"),
        project: ms(p('ops', 99)),
        baseline: ms(p('bare', 99)),
        ratio: p('ops', 99) / p('bare', 99),
        target: 'report',
        pass: true,
      },
    );
  }
  rows.push({
    name: 'POST /webhook/line burst: DynamoDB round trips per event until the last answer (local server / bare HMAC + 1 PutItem)',
    project: project.total.toFixed(2),
    baseline: base.total.toFixed(2),
    ratio: project.total / base.total,
    target: 'report',
    pass: true,
  });
  // CPU per event until the last answer (the LINE work that ran meanwhile included).
  const cpu = (side: Side, what: 'nodeMs' | 'dynamoMs') => roundTrips[side][what] / roundTrips[side].events;
  const cpuRow = (
    what: 'nodeMs' | 'dynamoMs',
    label: string,
    [a, b]: readonly [Side, Side],
    names: string,
  ): BenchRow => ({
    name: `POST /webhook/line burst: ${label} per event until the last answer (${names})`,
    project: ms(cpu(a, what)),
    baseline: ms(cpu(b, what)),
    ratio: cpu(a, what) / cpu(b, what),
    target: 'report',
    pass: true,
  });
  const opsName = "bare HMAC + the project's DynamoDB calls";
  rows.push(
    cpuRow('nodeMs', 'CPU of the bench process', ['project', 'ops'], `local server / ${opsName}`),
    cpuRow('nodeMs', 'CPU of the bench process', ['ops', 'bare'], `${opsName} / bare HMAC + 1 PutItem`),
    cpuRow('dynamoMs', "DynamoDB Local's CPU", ['project', 'ops'], `local server / ${opsName}`),
    cpuRow('dynamoMs', "DynamoDB Local's CPU", ['ops', 'bare'], `${opsName} / bare HMAC + 1 PutItem`),
  );
  return rows;
}

/**
 * The CPU time (ms) DynamoDB Local's JVM has used so far, read from Linux's /proc (the process
 * whose command line runs DynamoDBLocal.jar on the endpoint's port); NaN where it cannot be read.
 */
function dynamoLocalCpu(endpoint: string | undefined): () => number {
  const port = endpoint ? new URL(endpoint).port : '';
  let pid: string | undefined;
  try {
    pid = readdirSync('/proc').find((entry) => {
      if (!/^\d+$/.test(entry)) return false;
      try {
        const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
        return args.some((a) => a.endsWith('DynamoDBLocal.jar')) && args[args.indexOf('-port') + 1] === port;
      } catch {
        return false;
      }
    });
  } catch {
    pid = undefined;
  }
  const ticksPerMs = 100 / 1000; // USER_HZ is 100 on Linux
  return () => {
    if (!pid) return Number.NaN;
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerMs;
  };
}

/**
 * A burst's users and events: each user's events alternate follow / unfollow (starting at
 * random) at distinct times of the last two minutes; the events are shuffled across users, so a
 * user's older event may arrive after, or together with, a newer one. Even-numbered users are
 * linked. `single` posts each event on its own; `batched` posts 20 per delivery.
 */
function makePlan(tag: string, shape: Shape, secret: string): BurstPlan {
  const run = `${randomBytes(3).toString('hex')}-${tag}`;
  const start = Date.now() - 120_000;
  const users: BurstPlan['users'] = [];
  let n = 0;
  for (const [count, howMany] of USERS_BY_EVENTS) {
    for (let u = 0; u < howMany; u++, n++) {
      const userId = testLineUserId(`bench-burst-${run}-${n}`);
      const firstFollows = Math.random() < 0.5;
      const events: LineEvent[] = [];
      for (let k = 0; k < count; k++) {
        const follow = (k % 2 === 0) === firstFollows;
        const timestamp = start + k * 10_000 + n;
        events.push({
          type: follow ? 'follow' : 'unfollow',
          mode: 'active',
          timestamp,
          source: { type: 'user', userId },
          webhookEventId: `01B${randomBytes(12).toString('hex').toUpperCase()}`,
          deliveryContext: { isRedelivery: false },
          ...(follow ? { replyToken: randomBytes(16).toString('hex'), follow: { isUnblocked: k > 0 } } : {}),
        });
      }
      users.push({ userId, linked: n % 2 === 0, companyUserId: `M-BURST-${run}-${n}`, events });
    }
  }
  const all = shuffle(users.flatMap((u) => u.events));
  if (all.length !== EVENTS) throw new Error(`the plan has ${all.length} events`);
  const perDelivery = shape === 'single' ? 1 : EVENTS / CONCURRENCY;
  const deliveries: Delivery[] = [];
  for (let i = 0; i < all.length; i += perDelivery) {
    deliveries.push(delivery(all.slice(i, i + perDelivery), secret));
  }
  return { users, deliveries };
}

function delivery(events: LineEvent[], secret: string): Delivery {
  const body = JSON.stringify({ destination: BOT_USER_ID, events });
  return { body, signature: createHmac('sha256', secret).update(body).digest('base64'), events };
}

/** The same events again, marked as LINE marks a redelivery. */
function redelivery(failed: Delivery, secret: string): Delivery {
  return delivery(
    failed.events.map((e) => ({ ...e, deliveryContext: { isRedelivery: true } })),
    secret,
  );
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** The linked half of the plan's users, written ahead of the burst (linking is another row's work). */
async function linkUsers(doc: DynamoDBDocumentClient, tables: Tables, plan: BurstPlan): Promise<void> {
  const linkedAt = new Date(Date.now() - 600_000).toISOString();
  const items = plan.users
    .filter((u) => u.linked)
    .flatMap((u) => {
      const link = { lineUserId: u.userId, companyUserId: u.companyUserId, method: 'oidc', linkedAt };
      return [
        { pk: `LINE#${u.userId}`, ...link },
        { pk: `COMPANY#${u.companyUserId}`, ...link },
      ];
    });
  for (let i = 0; i < items.length; i += 25) {
    let pending: Array<{ PutRequest: { Item: Record<string, unknown> } }> | undefined = items
      .slice(i, i + 25)
      .map((Item) => ({ PutRequest: { Item } }));
    while (pending && pending.length > 0) {
      const result = await doc.send(new BatchWriteCommand({ RequestItems: { [tables.links]: pending } }));
      pending = result.UnprocessedItems?.[tables.links] as typeof pending;
    }
  }
}

function keepAlive(): Agent {
  return new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
}

/** Requests sent again after a reset of a reused socket (see {@link post}). */
let resent = 0;

/**
 * One POST; its status. A kept-alive socket that the server closed just as it was reused is
 * reset before any answer: that request is sent again on a new socket, once
 * (https://nodejs.org/api/http.html#requestreusedsocket).
 */
function post(url: string, agent: Agent, delivery: Delivery, retried = false): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'content-length': String(Buffer.byteLength(delivery.body)),
          'x-line-signature': delivery.signature,
          'user-agent': 'LineBotWebhook/2.0',
        },
      },
      (res) => {
        res.on('error', reject);
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (!retried && req.reusedSocket && error.code === 'ECONNRESET') {
        resent++;
        post(url, agent, delivery, true).then(resolve, reject);
      } else reject(error);
    });
    req.end(delivery.body);
  });
}

/** Posts every delivery with `CONCURRENCY` in flight; each answer's time, and what was not answered 200. */
async function burst(
  url: string,
  agent: Agent,
  deliveries: readonly Delivery[],
): Promise<{ times: number[]; failed: Delivery[]; wallMs: number }> {
  const times: number[] = [];
  const failed: Delivery[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, deliveries.length) }, async () => {
      while (next < deliveries.length) {
        const delivery = deliveries[next++]!;
        const start = performance.now();
        const status = await post(url, agent, delivery);
        times.push(performance.now() - start);
        if (status !== 200) failed.push(delivery);
      }
    }),
  );
  return { times, failed, wallMs: performance.now() - started };
}

/** DynamoDB requests a client sends, by command, counted per HTTP attempt (retries included). */
function countRoundTrips(client: DynamoDBDocumentClient): Map<string, number> {
  const calls = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return next(args);
    },
    // The deserialize step runs inside the retry middleware: once per attempt.
    { step: 'deserialize', name: 'benchRoundTrips' },
  );
  return calls;
}

/**
 * A webhook with nothing but the signature check and `apply` per event, in order: the raw body's
 * HMAC-SHA256 with the channel secret, compared in constant time, then JSON.
 */
async function startBareWebhook(
  secret: string,
  apply: (event: LineEvent) => Promise<void>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        try {
          const raw = Buffer.concat(chunks);
          const header = req.headers['x-line-signature'];
          const given = Buffer.from(typeof header === 'string' ? header : '', 'base64');
          const expected = createHmac('sha256', secret).update(raw).digest();
          if (given.length !== expected.length || !timingSafeEqual(expected, given)) {
            res.writeHead(401).end();
            return;
          }
          const body = JSON.parse(raw.toString('utf8')) as { events: LineEvent[] };
          for (const event of body.events) await apply(event);
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } catch {
          res.writeHead(500).end();
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

const claimExpiry = () => Math.floor(Date.now() / 1000) + 7 * 86_400;

/** The bare handler's whole work per event: claim its ID once (a duplicate changes nothing). */
async function claimOnly(doc: DynamoDBDocumentClient, tables: Tables, event: LineEvent): Promise<void> {
  try {
    await doc.send(
      new PutCommand({
        TableName: tables.messaging,
        Item: { pk: `EVENT#${event.webhookEventId}`, expiresAt: claimExpiry() },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * The DynamoDB calls the project makes for a follow / unfollow, without its code: the friendship
 * and the link read consistently, then one TransactWriteItems with the claim and, unless the
 * event is older than what is known, the friendship, the link's `friend` (or a check that there
 * is no link) and the audit event, each conditional on what was read; read again and retried
 * (5 times at most) when a condition or a conflict cancels it. Also the single-event row's
 * baseline (bench/webhook.ts).
 */
export async function applyLikeTheProject(
  doc: DynamoDBDocumentClient,
  tables: Pick<Tables, 'messaging' | 'links' | 'audit'>,
  event: Pick<LineEvent, 'type' | 'timestamp' | 'webhookEventId' | 'source'>,
): Promise<void> {
  const userId = event.source.userId;
  const at = new Date(event.timestamp).toISOString();
  for (let attempt = 0; attempt < 5; attempt++) {
    const [known, link] = await Promise.all([
      doc.send(
        new GetCommand({
          TableName: tables.messaging,
          Key: { pk: `FRIEND#${userId}` },
          ConsistentRead: true,
        }),
      ),
      doc.send(
        new GetCommand({ TableName: tables.links, Key: { pk: `LINE#${userId}` }, ConsistentRead: true }),
      ),
    ]);
    const knownAt = known.Item?.friendUpdatedAt as string | undefined;
    const stale = knownAt !== undefined && knownAt >= at;
    const items: TransactItem[] = [
      {
        Put: {
          TableName: tables.messaging,
          Item: {
            pk: `EVENT#${event.webhookEventId}`,
            expiresAt: claimExpiry(),
            outcome: stale ? 'stale' : 'friend-updated',
            attempt: randomUUID(),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': Math.floor(Date.now() / 1000) },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
    ];
    if (!stale) {
      const values = { ':f': event.type === 'follow', ':at': at };
      const newer = '(attribute_not_exists(friendUpdatedAt) OR friendUpdatedAt < :at)';
      items.push(
        {
          Update: {
            TableName: tables.messaging,
            Key: { pk: `FRIEND#${userId}` },
            UpdateExpression: 'SET friend = :f, friendUpdatedAt = :at',
            ConditionExpression:
              knownAt === undefined ? 'attribute_not_exists(friendUpdatedAt)' : 'friendUpdatedAt = :known',
            ExpressionAttributeValues: knownAt === undefined ? values : { ...values, ':known': knownAt },
          },
        },
        link.Item
          ? {
              Update: {
                TableName: tables.links,
                Key: { pk: `LINE#${userId}` },
                UpdateExpression: 'SET friend = :f, friendUpdatedAt = :at',
                ConditionExpression: `companyUserId = :c AND ${newer}`,
                ExpressionAttributeValues: { ...values, ':c': link.Item.companyUserId as string },
              },
            }
          : {
              ConditionCheck: {
                TableName: tables.links,
                Key: { pk: `LINE#${userId}` },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
        {
          Put: {
            TableName: tables.audit,
            Item: {
              pk: `LINE#${userId}`,
              sk: `${at}#${randomBytes(8).toString('hex')}`,
              type: event.type,
              at,
              lineUserId: userId,
            },
            ConditionExpression: 'attribute_not_exists(sk)',
          },
        },
      );
    }
    try {
      await doc.send(new TransactWriteCommand({ TransactItems: items }));
      return;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      // The claim's condition: already applied. Anything else: the state changed, read again.
      if (error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return;
    }
  }
  throw new Error(`bare: event ${event.webhookEventId} kept changing under its plan`);
}

/**
 * Reads the burst back and throws unless every event was applied exactly once: each has its
 * claim, with an outcome a follow / unfollow can have; each that was applied (not `stale`: an
 * older event that arrived after a newer one of its user) has exactly one audit event of its
 * type and time, and a stale one none, and the user has no other; each user's newest event is
 * not stale, and the friendship (and, for a linked user, the link's `friend`) is the newest
 * event's. Returns how many events were stale.
 */
async function verifyExactlyOnce(
  doc: DynamoDBDocumentClient,
  tables: Tables,
  plan: BurstPlan,
): Promise<number> {
  const problems: string[] = [];
  const claims = await batchGet(
    doc,
    tables.messaging,
    plan.users.flatMap((u) => u.events.map((e) => `EVENT#${e.webhookEventId}`)),
  );
  const friendships = await batchGet(
    doc,
    tables.messaging,
    plan.users.map((u) => `FRIEND#${u.userId}`),
  );
  const links = await batchGet(
    doc,
    tables.links,
    plan.users.filter((u) => u.linked).map((u) => `LINE#${u.userId}`),
  );
  let stale = 0;
  const applied = new Set(['friend-updated', 'link-offered']);
  await forEachLimited(plan.users, 16, async (user) => {
    const expected: string[] = [];
    for (const event of user.events) {
      const claim = claims.get(`EVENT#${event.webhookEventId}`);
      const outcome = claim?.outcome as string | undefined;
      if (!claim) problems.push(`event ${event.webhookEventId} has no claim`);
      else if (outcome === 'stale') stale++;
      else if (!outcome || !applied.has(outcome)) problems.push(`event ${event.webhookEventId}: ${outcome}`);
      else expected.push(`${event.type}@${new Date(event.timestamp).toISOString()}`);
    }
    const newest = user.events[user.events.length - 1]!;
    const newestAt = new Date(newest.timestamp).toISOString();
    if (claims.get(`EVENT#${newest.webhookEventId}`)?.outcome === 'stale')
      problems.push(`user ${user.userId}: the newest event is stale`);
    const audited = (await queryAll(doc, tables.audit, `LINE#${user.userId}`))
      .map((item) => `${String(item.type)}@${String(item.at)}`)
      .sort();
    if (audited.join() !== expected.sort().join())
      problems.push(`user ${user.userId}: audit [${audited.join(', ')}], expected [${expected.join(', ')}]`);
    const want = { friend: newest.type === 'follow', friendUpdatedAt: newestAt };
    for (const [what, item] of [
      ['friendship', friendships.get(`FRIEND#${user.userId}`)],
      ...(user.linked ? [['link', links.get(`LINE#${user.userId}`)] as const] : []),
    ] as const) {
      if (item?.friend !== want.friend || item.friendUpdatedAt !== want.friendUpdatedAt)
        problems.push(
          `user ${user.userId}: ${what} ${JSON.stringify({ friend: item?.friend, at: item?.friendUpdatedAt })}, ` +
            `expected ${JSON.stringify(want)}`,
        );
    }
  });
  if (problems.length > 0) {
    throw new Error(
      `webhook burst: events not applied exactly once (${problems.length} problems):\n` +
        problems.slice(0, 20).join('\n'),
    );
  }
  return stale;
}

async function batchGet(
  doc: DynamoDBDocumentClient,
  table: string,
  keys: readonly string[],
): Promise<Map<string, Record<string, unknown>>> {
  const found = new Map<string, Record<string, unknown>>();
  for (let i = 0; i < keys.length; i += 100) {
    let pending: Array<Record<string, unknown>> | undefined = keys.slice(i, i + 100).map((pk) => ({ pk }));
    while (pending && pending.length > 0) {
      const result: BatchGetCommandOutput = await doc.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }),
      );
      for (const item of result.Responses?.[table] ?? []) found.set(item.pk as string, item);
      pending = result.UnprocessedKeys?.[table]?.Keys;
    }
  }
  return found;
}

async function queryAll(
  doc: DynamoDBDocumentClient,
  table: string,
  pk: string,
): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const result = await doc.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...(result.Items ?? []));
    start = result.LastEvaluatedKey;
  } while (start);
  return items;
}

async function forEachLimited<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}
