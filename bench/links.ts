import { createPublicKey, verify as cryptoVerify, type KeyObject, webcrypto } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { CachedLineTokenVerifier } from '../functions/adapters/line/cached-line-token-verifier.js';
import { LinePlatformClient } from '../functions/adapters/line/line-platform-client.js';
import { createDocumentClient } from '../functions/adapters/dynamo/dynamo-client.js';
import { loadDynamoConfig, tableName } from '../functions/config.js';
import { startDevStack } from '../functions/local/dev-stack.js';
import { testLineUserId } from '../functions/local/emulators/test-identities.js';
import { apiEvent, invocationContext, type Handler } from './lambda-invoke.js';
import { linkWriter } from './link-write.js';
import { interleave, ms, percentile, rotate } from './stats.js';
import type { BenchRow, BenchSuite } from './types.js';

/**
 * Rows of the LIFF linking foundation:
 * (a) ID-token verification through the project's verifier (with its verified-token cache, as
 *     the handlers wire it): a token seen before vs a bare node:crypto ES256 signature check of
 *     the same token; first-seen tokens vs bare jose `jwtVerify` over the same key set (jose is
 *     WebCrypto-bound, so that is the floor of any jose-based verifier);
 * (b) POST /links vs the same TransactWriteItems (the repository's: link, friendship item, audit
 *     event, company token binding) sent straight to DynamoDB Local, after the same GET of LINE's friendship status API when the app
 *     sends an access token. The gated rows call the handler with the API Gateway event, as the
 *     Lambda runtime does (a bare SDK function sits behind API Gateway too, so neither side pays
 *     an HTTP hop); a report row goes through the local server end to end. Each with a
 *     first-seen ID token, and warm (the app's token was verified by an earlier GET /links/me,
 *     as a LIFF app does) with an ID token and with an access token.
 */
const suite: BenchSuite = {
  name: 'links',
  async run({ large }) {
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    // Every warm POST /links finds its token verified by the GET /links/me before it: the cache
    // must hold all of them (2,040 with --large, more than the default 1,000).
    process.env.LINE_TOKEN_CACHE_SIZE = '5000';
    const stack = await startDevStack({ port: 0 });
    try {
      return [...(await verifyRows(stack, large)), ...(await postLinksRows(stack, large))];
    } finally {
      await stack.close();
    }
  },
};
export default suite;

type Stack = Awaited<ReturnType<typeof startDevStack>>;

async function verifyRows(stack: Stack, large: boolean): Promise<BenchRow[]> {
  const line = stack.line!;
  const token = await line.mintIdToken({ userId: testLineUserId('bench'), expiresInSec: 3600 });
  const platform = new LinePlatformClient({
    channelIds: [process.env.LINE_CHANNEL_ID!],
    loginChannelId: process.env.LINE_CHANNEL_ID!,
    apiBase: line.url,
    issuer: line.issuer,
  });
  const verifier = new CachedLineTokenVerifier(platform, { channelIds: process.env.LINE_CHANNEL_ID! });
  await verifier.verifyBearer(token); // fetches and caches the JWKS

  // The baseline: what any verifier must do at least — one ES256 signature check.
  const jwks = (await (await fetch(`${line.url}/oauth2/v2.1/certs`)).json()) as {
    keys: Array<Record<string, string>>;
  };
  const key: KeyObject = createPublicKey({ key: jwks.keys[0]!, format: 'jwk' });
  const [header, payload, signature] = token.split('.');
  const data = Buffer.from(`${header}.${payload}`);
  const sig = Buffer.from(signature!, 'base64url');
  const rawVerify = async () => {
    if (!cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig))
      throw new Error('bad signature');
  };
  // The floor of any verifier built on WebCrypto (jose v6 is): the same signature check through
  // `crypto.subtle`, whose asynchronous job costs more than the synchronous `crypto.verify`.
  const subtleKey = await webcrypto.subtle.importKey(
    'jwk',
    jwks.keys[0]!,
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['verify'],
  );
  const subtleVerify = async () => {
    if (!(await webcrypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, subtleKey, sig, data)))
      throw new Error('bad signature');
  };
  // Bare jose over the same key set (LINE's JWKS, fetched once), with LINE's claim checks.
  const joseKeys = createRemoteJWKSet(new URL(`${line.url}/oauth2/v2.1/certs`));
  const joseOptions = { algorithms: ['ES256'], issuer: line.issuer, audience: process.env.LINE_CHANNEL_ID! };

  /** Operations per second of `count` calls of `fn(i)`. */
  const rate = async (fn: (i: number) => Promise<unknown>, count: number) => {
    const start = performance.now();
    for (let i = 0; i < count; i++) await fn(i);
    return count / ((performance.now() - start) / 1000);
  };
  const slices = large ? 10 : 6;
  const row = (name: string, p: number, b: number, min: number): BenchRow => ({
    name,
    project: `${Math.round(p)}/s`,
    baseline: `${Math.round(b)}/s`,
    ratio: p / b,
    target: `≥ ${min}`,
    pass: p / b >= min,
  });

  // (1) The same token again and again, as a LIFF app sends it: served by the cache.
  const repeated = () => verifier.verifyBearer(token);
  await rate(repeated, 5000);
  await rate(rawVerify, 2000);
  const warm = await interleave(
    slices,
    () => rate(repeated, 20_000),
    () => rate(rawVerify, 2000),
  );

  // (2) Tokens never seen before: the full verification, plus the cache's bookkeeping.
  const perSlice = 250;
  // Each side gets tokens of its own, each verified once: both do the same work per token.
  const mint = (side: string) =>
    Promise.all(
      Array.from({ length: perSlice * (slices + 1) }, (_, i) =>
        line.mintIdToken({ userId: testLineUserId(`bench-${side}-${i}`), expiresInSec: 3600 }),
      ),
    );
  const [fresh, freshForJose] = [await mint('fresh'), await mint('jose')];
  let next = 0;
  let nextJose = 0;
  const firstSeen = () => verifier.verifyBearer(fresh[next++]!);
  const bareJose = () => jwtVerify(freshForJose[nextJose++]!, joseKeys, joseOptions);
  await rate(firstSeen, perSlice);
  await rate(bareJose, perSlice);
  const cold = await interleave(
    slices,
    () => rate(firstSeen, perSlice),
    () => rate(bareJose, perSlice),
  );
  await rate(subtleVerify, perSlice);
  const floor = await interleave(
    slices,
    () => rate(subtleVerify, perSlice),
    () => rate(rawVerify, perSlice),
  );
  return [
    row(
      'ID token verify, same token, ops/s (project / node:crypto)',
      percentile(warm.project, 50),
      percentile(warm.baseline, 50),
      5,
    ),
    row(
      'ID token verify, first-seen tokens, ops/s (project / bare jose jwtVerify, same key set)',
      percentile(cold.project, 50),
      percentile(cold.baseline, 50),
      0.95,
    ),
    {
      ...row(
        'ID token verify, WebCrypto signature check alone, ops/s (crypto.subtle / node:crypto)',
        percentile(floor.project, 50),
        percentile(floor.baseline, 50),
        0,
      ),
      target: 'report',
      pass: true,
    },
  ];
}

/** How the app authenticates a POST /links in a row. */
type LineCredential = 'id-token, first seen' | 'id-token, warm' | 'access-token, warm';

async function postLinksRows(stack: Stack, large: boolean): Promise<BenchRow[]> {
  const rounds = large ? 1000 : 300;
  const line = stack.line!;
  const company = stack.company!;
  const doc = createDocumentClient(loadDynamoConfig(process.env));
  const table = tableName('links', process.env);
  const auditTable = tableName('audit', process.env);
  const run = randomBytes(3).toString('hex');

  // A keep-alive node:http client, like the SDK's own handler on the baseline side.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const send = (method: string, path: string, headers: Record<string, string>, body?: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(new URL(`${stack.api.url}${path}`), { method, agent, headers }, (res) => {
        // The body is kept only for a 5xx, so a failing run says which problem `code` it met.
        let text = '';
        res.on('data', (chunk: Buffer) => {
          if ((res.statusCode ?? 0) >= 500) text += chunk.toString();
        });
        res.on('end', () => {
          if ((res.statusCode ?? 0) >= 500) process.stderr.write(`bench: ${method} ${path}: ${text}\n`);
          resolve(res.statusCode ?? 0);
        });
      });
      req.on('error', reject);
      req.end(body);
    });

  const writeLink = linkWriter(doc, {
    links: table,
    messaging: tableName('messaging', process.env),
    sessions: tableName('sessions', process.env),
    audit: auditTable,
  });
  /**
   * The same DynamoDB work done bare: the link's TransactWriteItems as the repository builds it
   * (the link's two items, the friendship item, its audit event and the company ID token's
   * binding), with the friendship item a ConditionCheck that none is known (ID token), or LINE's
   * answer recorded newest-wins (access token, after the same GET of LINE's friendship status API
   * the project makes with the user's token).
   */
  const baseline = async (input: { lineUserId: string; companyUserId: string; accessToken?: string }) => {
    const start = performance.now();
    let friend: boolean | undefined;
    if (input.accessToken !== undefined) {
      const res = await fetch(`${line.url}/friendship/v1/status`, {
        headers: { authorization: `Bearer ${input.accessToken}` },
      });
      friend = ((await res.json()) as { friendFlag: boolean }).friendFlag;
    }
    await doc.send(
      writeLink({
        lineUserId: input.lineUserId,
        companyUserId: input.companyUserId,
        channelId: process.env.LINE_CHANNEL_ID!,
        ...(friend === undefined ? {} : { friend }),
        bindsCompanyToken: true,
      }),
    );
    return performance.now() - start;
  };

  // The handler as the Lambda runtime calls it; the local server serves the very same one,
  // so both paths share one verified-token cache, as one execution environment does.
  const handler = stack.handlers!.handler('links-post') as unknown as Handler;

  const WARM_UP = 20;
  const rowsFor = async (credential: LineCredential, target: number | undefined): Promise<BenchRow[]> => {
    const tag = credential.replace(/[^a-z]+/g, '-');
    const access = credential.startsWith('access-token');
    const count = 2 * (rounds + WARM_UP); // every timed link is a new one, through each path
    // Tokens are minted ahead of time: minting is the emulators' work, not the service's.
    const inputs = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const userId = testLineUserId(`bench-${run}-${tag}-${i}`);
        return {
          lineToken: access ? await line.mintAccessToken({ userId }) : await line.mintIdToken({ userId }),
          body: JSON.stringify({
            companyIdToken: await company.mintIdToken({ sub: `M-BENCH-${run}-${tag}-${i}` }),
          }),
        };
      }),
    );
    const baseInputs = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const lineUserId = testLineUserId(`bench-base-${run}-${tag}-${i}`);
        return {
          lineUserId,
          companyUserId: `M-BASE-${run}-${tag}-${i}`,
          ...(access ? { accessToken: await line.mintAccessToken({ userId: lineUserId }) } : {}),
        };
      }),
    );
    let nextBase = 0;
    const bare = () => baseline(baseInputs[nextBase++]!);
    let next = 0;
    /** POST /links as API Gateway hands it to the function: the handler called with the event. */
    const invoked = async () => {
      const input = inputs[next++]!;
      const event = apiEvent(
        'POST',
        '/links',
        { authorization: `Bearer ${input.lineToken}`, 'content-type': 'application/json' },
        input.body,
      );
      const start = performance.now();
      const result = (await handler(event, invocationContext('links-post'))) as { statusCode?: number };
      if (result.statusCode !== 201) throw new Error(`POST /links answered ${result.statusCode}`);
      return performance.now() - start;
    };
    /** POST /links through the local server (API Gateway emulated over HTTP), end to end. */
    const overHttp = async () => {
      const input = inputs[next++]!;
      const start = performance.now();
      const status = await send(
        'POST',
        '/links',
        {
          authorization: `Bearer ${input.lineToken}`,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(input.body)),
        },
        input.body,
      );
      if (status !== 201) throw new Error(`POST /links answered ${status}`);
      return performance.now() - start;
    };
    if (credential.endsWith('warm')) {
      // The app asked for its link first (GET /links/me, not timed): its token is verified and
      // cached. All of them up front, so that request's own work cannot overlap the timed one.
      for (const input of inputs) {
        const status = await send('GET', '/links/me', { authorization: `Bearer ${input.lineToken}` });
        if (status !== 404) throw new Error(`GET /links/me answered ${status}`);
      }
    }
    const measures = { invoked, overHttp, bare };
    await rotate(WARM_UP, measures);
    const samples = await rotate(rounds, measures);
    const direct = { project: samples.invoked, baseline: samples.bare };
    const http = { project: samples.overHttp, baseline: samples.bare };
    const against = access ? 'bare friendship GET + TransactWriteItems' : 'bare TransactWriteItems';
    const row = (
      samples: { project: number[]; baseline: number[] },
      path: string,
      p: number,
      gate?: number,
    ): BenchRow => {
      const a = percentile(samples.project, p);
      const b = percentile(samples.baseline, p);
      return {
        name: `POST /links p${p}, ${credential} (${path} / ${against})`,
        project: ms(a),
        baseline: ms(b),
        ratio: a / b,
        target: gate === undefined ? 'report' : `≤ ${gate}`,
        pass: gate === undefined || a / b <= gate,
      };
    };
    return [
      row(direct, 'handler invoked as Lambda does', 50, target),
      row(direct, 'handler invoked as Lambda does', 99),
      row(http, 'local server, API Gateway emulated over HTTP', 50),
    ];
  };

  try {
    return [
      ...(await rowsFor('id-token, first seen', 1.5)),
      ...(await rowsFor('id-token, warm', 1.3)),
      ...(await rowsFor('access-token, warm', 1.3)),
    ];
  } finally {
    doc.destroy();
    agent.destroy();
  }
}
