/**
 * The measurements of the `web-flow` bench, in a process of its own so that its handlers read a
 * fresh environment at "cold start" (handler modules and their cached configuration cannot be
 * unloaded from the parent): `node --import tsx bench/web-flow-child.ts <rounds>`.
 * Prints one JSON line: the rows.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../functions/adapters/dynamo/dynamo-client.js';
import { loadDynamoConfig, tableName } from '../functions/config.js';
import { startDevStack } from '../functions/local/dev-stack.js';
import { DEFAULT_COMPANY_MEMBERS, testLineUserId } from '../functions/local/emulators/test-identities.js';
import { linkWriter } from './link-write.js';
import { interleave, ms, percentile } from './stats.js';
import type { BenchRow } from './types.js';

const rounds = Number(process.argv[2] ?? 200);
const TARGET = 1.5;

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
const stack = await startDevStack({ port: 0 });
const line = stack.line!;
const company = stack.company!;
const doc = createDocumentClient(loadDynamoConfig(process.env));
const sessions = tableName('sessions', process.env);
const writeLink = linkWriter(doc, {
  links: tableName('links', process.env),
  messaging: tableName('messaging', process.env),
  sessions,
  audit: tableName('audit', process.env),
});
const api = stack.api.url; // 127.0.0.1: the same server PUBLIC_BASE_URL (localhost) names
const returnTo = stack.demoUrl;
const run = randomBytes(3).toString('hex');
const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const b64 = (s: string) => createHash('sha256').update(s).digest('base64url');

// ------------------------------------------------------------------ HTTP plumbing

/** Keep-alive client for the measured requests, like a browser's connection to the API. */
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

interface Answer {
  status: number;
  location: string;
  cookies: string[];
}

function get(url: string, cookie?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent, headers: cookie ? { cookie } : {} }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          location: String(res.headers.location ?? ''),
          cookies: (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Through an emulator's consent page (unmeasured): the redirect back with the code. */
async function consent(authorizeUrl: string, subject: string): Promise<string> {
  const page = await fetch(authorizeUrl, { redirect: 'manual' });
  const html = await page.text();
  const requestId = /name="request_id" value="([0-9a-f]+)"/.exec(html)?.[1];
  if (!requestId) throw new Error(`no consent page at ${authorizeUrl}: ${page.status}`);
  const url = new URL(authorizeUrl);
  const res = await fetch(`${url.origin}${url.pathname}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ request_id: requestId, subject, decision: 'allow' }).toString(),
  });
  return res.headers.get('location')!;
}

/** The API's callback URL on 127.0.0.1 (PUBLIC_BASE_URL says localhost; same server). */
const local = (url: string) => url.replace(new URL(url).origin, api);

let userCounter = 0;
const nextLineUser = () => testLineUserId(`bench-web-${run}-${userCounter++}`);
let memberCounter = 0;
const nextMember = () => DEFAULT_COMPANY_MEMBERS[memberCounter++ % DEFAULT_COMPANY_MEMBERS.length]!.memberId;
/** A new member at the IdP emulator, so every measured company callback creates a new link. */
function freshMember(): string {
  const memberId = `M-BENCH-${run}-${memberCounter++}`;
  company.members.push({ ...DEFAULT_COMPANY_MEMBERS[0]!, memberId });
  return memberId;
}

function expect(answer: Answer, what: string): Answer {
  if (answer.status !== 302) throw new Error(`${what} answered ${answer.status}`);
  return answer;
}

// ------------------------------------------------------------------ project side

async function projectLoginStart(): Promise<number> {
  const start = performance.now();
  expect(await get(`${api}/auth/line/login?returnTo=${encodeURIComponent(returnTo)}`), 'login start');
  return performance.now() - start;
}

/** Prepares a LINE callback (login start + consent), then measures the callback alone. */
async function projectLineCallback(): Promise<number> {
  const started = expect(
    await get(`${api}/auth/line/login?returnTo=${encodeURIComponent(returnTo)}`),
    'login start',
  );
  const callback = local(await consent(started.location, testLineUserId('sato-hanako')));
  const start = performance.now();
  const answer = expect(await get(callback, started.cookies[0]), 'LINE callback');
  const elapsed = performance.now() - start;
  if (!answer.location.startsWith(company.url)) throw new Error(`LINE callback went to ${answer.location}`);
  return elapsed;
}

/** Prepares a company callback (a whole LINE leg + company consent), then measures it alone. */
async function projectCompanyCallback(): Promise<number> {
  const started = expect(
    await get(`${api}/auth/line/login?returnTo=${encodeURIComponent(returnTo)}`),
    'login start',
  );
  const lineUser = nextLineUser();
  await line.mintIdToken({ userId: lineUser }); // registers the fresh LINE user at the emulator
  const lineCallback = local(await consent(started.location, lineUser));
  const leg = expect(await get(lineCallback, started.cookies[0]), 'LINE callback');
  const callback = local(await consent(leg.location, freshMember()));
  const start = performance.now();
  const answer = expect(await get(callback, leg.cookies[0]), 'company callback');
  const elapsed = performance.now() - start;
  if (!answer.location.endsWith('result=linked'))
    throw new Error(`company callback ended with ${answer.location}`);
  return elapsed;
}

// ------------------------------------------------------------------ baseline side: the same I/O, sent directly

function sessionItem(leg: 'line' | 'company', extra: Record<string, unknown> = {}) {
  return {
    pk: `LOGIN#${leg}#${hex(24)}`,
    leg,
    nonce: hex(24),
    codeVerifier: hex(32),
    returnTo,
    bindingHash: b64(hex(32)),
    expiresAt: Math.floor(Date.now() / 1000) + 600,
    ...extra,
  };
}

const putSession = (item: Record<string, unknown>) =>
  doc.send(
    new PutCommand({ TableName: sessions, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
  );

const consume = (item: { pk: string; bindingHash: string }) =>
  doc.send(
    new DeleteCommand({
      TableName: sessions,
      Key: { pk: item.pk },
      ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now AND bindingHash = :binding',
      ExpressionAttributeValues: { ':now': Math.floor(Date.now() / 1000), ':binding': item.bindingHash },
      ReturnValues: 'ALL_OLD',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    }),
  );

/** A fresh code from an emulator for our own PKCE pair (unmeasured). */
async function freshCode(authorizeBase: string, clientId: string, redirectUri: string, subject: string) {
  const verifier = hex(32);
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    state: hex(24),
    scope: authorizeBase.includes('/oauth2/') ? 'openid profile' : 'openid',
    nonce: hex(24),
    code_challenge: b64(verifier),
    code_challenge_method: 'S256',
  });
  const back = new URL(await consent(`${authorizeBase}?${params}`, subject));
  return { code: back.searchParams.get('code')!, verifier };
}

async function baselineLoginStart(): Promise<number> {
  const item = sessionItem('line');
  const start = performance.now();
  await putSession(item);
  return performance.now() - start;
}

async function baselineLineCallback(): Promise<number> {
  const item = sessionItem('line');
  await putSession(item);
  const redirectUri = `${process.env.PUBLIC_BASE_URL}/auth/line/callback`;
  const { code, verifier } = await freshCode(
    `${line.url}/oauth2/v2.1/authorize`,
    process.env.LINE_CHANNEL_ID!,
    redirectUri,
    testLineUserId('sato-hanako'),
  );
  const start = performance.now();
  await consume(item);
  const res = await fetch(`${line.url}/oauth2/v2.1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: process.env.LINE_CHANNEL_ID!,
      client_secret: process.env.LINE_CHANNEL_SECRET!,
      code_verifier: verifier,
    }).toString(),
  });
  if (res.status !== 200) throw new Error(`baseline LINE token answered ${res.status}`);
  await res.json();
  await putSession(sessionItem('company', { lineUserId: testLineUserId('sato-hanako') }));
  return performance.now() - start;
}

async function baselineCompanyCallback(): Promise<number> {
  const i = userCounter++;
  const lineUserId = testLineUserId(`bench-web-base-${run}-${i}`);
  const item = sessionItem('company', { lineUserId });
  await putSession(item);
  const redirectUri = `${process.env.PUBLIC_BASE_URL}/auth/company/callback`;
  const { code, verifier } = await freshCode(
    `${company.url}/authorize`,
    process.env.COMPANY_OIDC_CLIENT_ID!,
    redirectUri,
    nextMember(),
  );
  const basic = Buffer.from(
    `${process.env.COMPANY_OIDC_CLIENT_ID}:${process.env.COMPANY_OIDC_CLIENT_SECRET}`,
  ).toString('base64');
  const start = performance.now();
  await consume(item);
  const res = await fetch(`${company.url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      authorization: `Basic ${basic}`,
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    }).toString(),
  });
  if (res.status !== 200) throw new Error(`baseline company token answered ${res.status}`);
  await res.json();
  // The web flow's link: the session's LINE channel, no company token to bind.
  await doc.send(
    writeLink({
      lineUserId,
      companyUserId: `M-WEB-BASE-${run}-${i}`,
      channelId: process.env.LINE_CHANNEL_ID!,
    }),
  );
  return performance.now() - start;
}

// ------------------------------------------------------------------ rows

async function rows(
  name: string,
  baselineName: string,
  project: () => Promise<number>,
  baseline: () => Promise<number>,
  n: number,
): Promise<BenchRow[]> {
  for (let i = 0; i < 15; i++) {
    await project();
    await baseline();
  }
  const samples = await interleave(n, project, baseline);
  return [50, 99].map((p) => {
    const a = percentile(samples.project, p);
    const b = percentile(samples.baseline, p);
    return {
      name: `${name} p${p} (local server / ${baselineName})`,
      project: ms(a),
      baseline: ms(b),
      ratio: a / b,
      target: p === 50 ? `≤ ${TARGET}` : 'report',
      pass: p === 50 ? a / b <= TARGET : true,
    };
  });
}

try {
  const result = [
    ...(await rows('GET /auth/line/login', 'bare PutItem', projectLoginStart, baselineLoginStart, rounds)),
    ...(await rows(
      'GET /auth/line/callback',
      'bare DeleteItem + token POST + PutItem',
      projectLineCallback,
      baselineLineCallback,
      rounds,
    )),
    ...(await rows(
      'GET /auth/company/callback',
      'bare DeleteItem + token POST + TransactWriteItems',
      projectCompanyCallback,
      baselineCompanyCallback,
      Math.min(rounds, 150),
    )),
  ];
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  agent.destroy();
  doc.destroy();
  await stack.close();
}
