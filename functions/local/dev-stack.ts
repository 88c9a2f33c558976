import { createReadStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { listEnv, loadDynamoConfig, loadMemberFactors, tableName } from '../config.js';
import { HmacFactorHasher } from '../adapters/crypto/hmac-factor-hasher.js';
import { createDocumentClient } from '../adapters/dynamo/dynamo-client.js';
import { DynamoMemberRepository } from '../adapters/dynamo/dynamo-member-repository.js';
import { TABLES, type TableKey } from '../manifest/table-definitions.js';
import { importMembers } from '../core/use-cases/import-members.js';
import { readMemberCsv } from '../adapters/csv/member-csv-file.js';
import { LOCAL_MEMBER_HASH_PEPPER } from '../import/local-pepper.js';
import { ensureTables, localClient, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.js';
import { startCompanyIdpEmulator, type CompanyIdpEmulator } from './emulators/company-idp-emulator.js';
import { startLinePlatformEmulator, type LinePlatformEmulator } from './emulators/line-platform-emulator.js';
import { BOT_USER_ID, MESSAGING_CHANNEL_ID, MESSAGING_CHANNEL_SECRET } from './emulators/test-identities.js';
import { startLocalServer, type LocalServer, type RequestLogEntry } from './local-server.js';
import { createDevRoutes } from './dev-routes.js';
import { localIamCredentials, type LocalIamCredentials } from './sigv4.js';

/** Settings the local stack uses when the variable is not set: safe, obviously fake values. */
export const DEV_DEFAULTS = {
  LINE_CHANNEL_ID: '2000000001',
  LINE_CHANNEL_SECRET: 'dev-channel-secret-not-for-production',
  COMPANY_OIDC_CLIENT_ID: 'line-id-link-dev',
  COMPANY_OIDC_CLIENT_SECRET: 'dev-company-client-secret',
  MEMBER_HASH_PEPPER: LOCAL_MEMBER_HASH_PEPPER,
  // Messaging API channel of the emulated Official Account (webhook signatures, link tokens).
  LINE_MESSAGING_CHANNEL_ID: MESSAGING_CHANNEL_ID,
  LINE_MESSAGING_CHANNEL_SECRET: MESSAGING_CHANNEL_SECRET,
} as const;

/** The company emulator's members as an operator would export them (pattern 3's demo data). */
export const SAMPLE_MEMBERS_CSV = fileURLToPath(new URL('./sample-data/members.sample.csv', import.meta.url));

/** Options of {@link startDevStack}. */
export interface DevStackOptions {
  /** API port (PORT, default 3000); the LINE emulator takes port + 1, the company IdP port + 2. Use 0 for random ports. */
  port: number;
  /** Folder for DynamoDB Local's data (kept between runs); undefined keeps data in memory. */
  dataDir?: string;
  /** Environment to read and complete (default process.env, which the handlers read). */
  env?: NodeJS.ProcessEnv;
  /** Called once per finished request (`npm start` prints it). */
  onRequest?: (entry: RequestLogEntry) => void;
  /**
   * May `POST /_dev/reset` empty the tables? Default: only when this stack started DynamoDB
   * Local itself (an engine named by DYNAMODB_ENDPOINT may hold someone else's data).
   */
  resettable?: boolean;
}

/** Everything `npm start` runs. */
export interface DevStack {
  api: LocalServer;
  /** Present only when LINE_API_BASE was not set. */
  line?: LinePlatformEmulator;
  /** Present only when COMPANY_OIDC_ISSUER was not set. */
  company?: CompanyIdpEmulator;
  dynamoEndpoint: string;
  demoUrl: string;
  /** What the admin routes accept: sign requests with these (SigV4, service `execute-api`). */
  adminCredentials: LocalIamCredentials;
  close(): Promise<void>;
}

const DEMO_DIR = fileURLToPath(new URL('./demo/', import.meta.url));

/**
 * Starts the whole service on one machine: DynamoDB Local (unless DYNAMODB_ENDPOINT is set),
 * the LINE Platform emulator (unless LINE_API_BASE is set), the company IdP emulator (unless
 * COMPANY_OIDC_ISSUER is set), the API behind the API Gateway adapter, and the demo page at
 * `/demo/`. Every variable that is set wins over these defaults.
 */
export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const env = options.env ?? process.env;
  const stops: Array<() => Promise<void>> = [];
  const offset = (n: number) => (options.port === 0 ? 0 : options.port + n);
  try {
    for (const [name, value] of Object.entries(DEV_DEFAULTS)) env[name] ??= value;

    let dynamo: DynamoDbLocal | undefined;
    if (!env.DYNAMODB_ENDPOINT) {
      let dbPath: string | undefined;
      if (options.dataDir) {
        dbPath = resolve(options.dataDir, 'dynamodb');
        await mkdir(dbPath, { recursive: true });
      }
      dynamo = await startDynamoDbLocal({ dbPath });
      stops.push(() => dynamo!.stop());
      env.DYNAMODB_ENDPOINT = dynamo.endpoint;
      // The import and export command lines find the local engine through this file.
      if (options.dataDir) await writeFile(join(options.dataDir, 'dynamodb-endpoint'), dynamo.endpoint);
    }
    const client = localClient(env.DYNAMODB_ENDPOINT);
    const names = Object.fromEntries(
      (Object.keys(TABLES) as TableKey[]).map((key) => [key, tableName(key, env)]),
    ) as Record<TableKey, string>;
    await ensureTables(client, names);
    const membersEmpty = !(await client.send(new ScanCommand({ TableName: names.members, Limit: 1 }))).Items
      ?.length;
    client.destroy();
    // Pattern 3 needs imported records: a first start imports the sample members.
    if (membersEmpty) await importSampleMembers(names.members, env);

    let line: LinePlatformEmulator | undefined;
    if (!env.LINE_API_BASE) {
      line = await startLinePlatformEmulator({
        port: offset(1),
        host: '127.0.0.1',
        // Every listed channel mints tokens; only the web-login channel's secret is ever used
        // (HS256 ID tokens of the token endpoint), the others get a distinct stand-in.
        channels: listEnv(env, 'LINE_CHANNEL_ID').map((channelId) => ({
          channelId,
          channelSecret:
            channelId === (env.LINE_LOGIN_CHANNEL_ID || listEnv(env, 'LINE_CHANNEL_ID')[0])
              ? env.LINE_CHANNEL_SECRET!
              : `${env.LINE_CHANNEL_SECRET!}-${channelId}`,
        })),
        messagingChannel: {
          channelId: env.LINE_MESSAGING_CHANNEL_ID!,
          channelSecret: env.LINE_MESSAGING_CHANNEL_SECRET!,
          botUserId: BOT_USER_ID,
        },
      });
      stops.push(() => line!.close());
      env.LINE_API_BASE = line.url;
      env.LINE_AUTH_BASE ??= line.url;
      env.LINE_ISSUER ??= line.issuer;
    }

    let company: CompanyIdpEmulator | undefined;
    if (!env.COMPANY_OIDC_ISSUER) {
      company = await startCompanyIdpEmulator({
        port: offset(2),
        host: '127.0.0.1',
        clients: [{ clientId: env.COMPANY_OIDC_CLIENT_ID!, clientSecret: env.COMPANY_OIDC_CLIENT_SECRET! }],
      });
      stops.push(() => company!.close());
      env.COMPANY_OIDC_ISSUER = company.issuer;
      // Pattern 2: the emulator also serves the company's member verification API.
      env.COMPANY_API_URL ??= `${company.url}/api/members/verify`;
      env.COMPANY_API_TOKEN_URL ??= `${company.url}/token`;
      env.COMPANY_API_CLIENT_ID ??= env.COMPANY_OIDC_CLIENT_ID;
      env.COMPANY_API_CLIENT_SECRET ??= env.COMPANY_OIDC_CLIENT_SECRET;
    }

    const resetAvailable = options.resettable ?? dynamo !== undefined;
    const demoConfig = () =>
      JSON.stringify({
        lineEmulator: line?.url ?? null,
        companyEmulator: company?.url ?? null,
        lineChannelId: env.LINE_CHANNEL_ID,
        companyClientId: env.COMPANY_OIDC_CLIENT_ID,
        memberFactors: loadMemberFactors(env),
        // The demo as a LIFF app: a real LIFF ID makes it run on LINE; without one, liff-mock.
        liffId: env.LIFF_ID?.trim() || null,
        lineApiBase: env.LINE_API_BASE,
        companyIssuer: env.COMPANY_OIDC_ISSUER,
        resetAvailable,
      });
    const devRoutes = await createDevRoutes({
      dynamoEndpoint: resetAvailable ? env.DYNAMODB_ENDPOINT : undefined,
      tableNames: names,
      publicBaseUrl: () => env.PUBLIC_BASE_URL ?? '',
    });
    stops.push(() => devRoutes.close());
    const adminCredentials = localIamCredentials(env);
    const api = await startLocalServer({
      iam: adminCredentials,
      onRequest: options.onRequest,
      port: options.port,
      host: '127.0.0.1',
      corsOrigins: (env.CORS_ALLOWED_ORIGINS ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      extra: async (req, res) => (await devRoutes.handle(req, res)) || serveDemo(req, res, demoConfig),
    });
    stops.push(() => api.close());
    // The emulated LINE Platform delivers the Official Account's webhook events to this API.
    if (line) line.messaging.webhookUrl ??= `${api.url}/webhook/line`;
    const publicUrl = api.url.replace('127.0.0.1', 'localhost');
    env.PUBLIC_BASE_URL ??= publicUrl;
    const demoUrl = `${env.PUBLIC_BASE_URL}/demo/`;
    env.APP_RETURN_URLS ??= demoUrl;

    return {
      api,
      line,
      company,
      dynamoEndpoint: env.DYNAMODB_ENDPOINT,
      demoUrl,
      adminCredentials,
      close: async () => {
        for (const stop of stops.reverse()) await stop();
      },
    };
  } catch (error) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw error;
  }
}

/**
 * Which linking patterns this configuration serves, one line each, for `npm start` to print:
 * pattern 1 needs the company IdP (`COMPANY_OIDC_ISSUER`), pattern 2 the company verification
 * API (`COMPANY_API_URL`), pattern 3 the pepper of the imported records (`MEMBER_HASH_PEPPER`).
 * A pattern that is off answers 501 `feature-disabled` on its route.
 */
export function describePatterns(env: NodeJS.ProcessEnv): string[] {
  const on = (name: string) => Boolean(env[name]?.trim() || env[`${name}_ARN`]?.trim());
  const line = (label: string, variable: string) =>
    `  ${label.padEnd(52)}${on(variable) ? 'on' : `off (set ${variable})`}`;
  return [
    line('Pattern 1 (company IdP, POST /links):', 'COMPANY_OIDC_ISSUER'),
    line('Pattern 2 (company API, POST /links/by-api):', 'COMPANY_API_URL'),
    line('Pattern 3 (member records, POST /links/by-record):', 'MEMBER_HASH_PEPPER'),
    line('Pattern 4 and the webhook (LINE Official Account):', 'LINE_MESSAGING_CHANNEL_ID'),
  ];
}

/** Imports {@link SAMPLE_MEMBERS_CSV} with the same code as `npm run import`. */
async function importSampleMembers(table: string, env: NodeJS.ProcessEnv): Promise<void> {
  const client = createDocumentClient(loadDynamoConfig(env));
  try {
    await importMembers(readMemberCsv(createReadStream(SAMPLE_MEMBERS_CSV)), {
      store: new DynamoMemberRepository(client, table),
      hasher: new HmacFactorHasher(env.MEMBER_HASH_PEPPER!),
      requiredFactors: loadMemberFactors(env),
    });
  } finally {
    client.destroy();
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Serves `/` (redirect), `/demo/` (static files) and `/demo/config.json`; true when it answered. */
async function serveDemo(req: IncomingMessage, res: ServerResponse, config: () => string): Promise<boolean> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (path === '/') {
    res.writeHead(302, { location: '/demo/' }).end();
    return true;
  }
  if (!path.startsWith('/demo/')) return false;
  const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
  if (path === '/demo/config.json') {
    res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(config());
    return true;
  }
  const name = path === '/demo/' ? 'index.html' : path.slice('/demo/'.length);
  if (!/^[a-z0-9-]+\.(html|js|css)$/.test(name)) {
    res.writeHead(404, headers).end();
    return true;
  }
  try {
    const body = await readFile(join(DEMO_DIR, name));
    res
      .writeHead(200, { ...headers, 'content-type': TYPES[extname(name)]! })
      .end(req.method === 'HEAD' ? undefined : body);
  } catch {
    res.writeHead(404, headers).end();
  }
  return true;
}
