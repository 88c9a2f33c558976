import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BatchWriteItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { readConfig } from '../config.js';
import { HmacFactorHasher } from '../adapters/crypto/hmac-factor-hasher.js';
import { createDocumentClient } from '../adapters/dynamo/dynamo-client.js';
import { DynamoMemberRepository } from '../adapters/dynamo/dynamo-member-repository.js';
import { TABLES, type TableKey } from '../manifest/table-definitions.js';
import { importMembers } from '../core/use-cases/import-members.js';
import { readMemberCsv } from '../adapters/csv/member-csv-file.js';
import { LOCAL_MEMBER_HASH_PEPPER } from '../import/local-pepper.js';
import { VARIABLES } from '../manifest/config-schema.js';
import {
  ensureTables,
  freePort,
  localClient,
  startDynamoDbLocal,
  type DynamoDbLocal,
} from './dynamodb-local.js';
import { startCompanyIdpEmulator, type CompanyIdpEmulator } from './emulators/company-idp-emulator.js';
import { startLinePlatformEmulator, type LinePlatformEmulator } from './emulators/line-platform-emulator.js';
import { BOT_USER_ID, MESSAGING_CHANNEL_ID, MESSAGING_CHANNEL_SECRET } from './emulators/test-identities.js';
import { startLocalServer, type LocalServer, type RequestLogEntry } from './local-server.js';
import type { GatewayLogEntry } from './api-gateway-adapter.js';
import { errorFields } from '../observability/error-fields.js';
import { createSourceHandlers, type SourceHandlers } from './source-handlers.js';
import { createDevRoutes, RESET_TABLES } from './dev-routes.js';
import { createDemoRichMenus, devLineSettings, startRichMenuStream } from './dev-rich-menus.js';
import { localIamCredentials, type LocalIamCredentials } from './sigv4.js';
import type { DeployedApi } from './artifacts/deployed-api.js';
import type { EventSourcePoller } from './artifacts/event-sources.js';
import type { DeployedApp, DeployedFunction, LocalNaming } from './artifacts/types.js';

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
  /**
   * Environment to read and complete, and the one the handlers of the source mode read (at their
   * first request, so what this stack completes is theirs too). Default: this process's own
   * (`npm start` hands its environment to the service as a Lambda function's is).
   */
  env?: NodeJS.ProcessEnv;
  /** Called once per finished request (`npm start` prints it). */
  onRequest?: (entry: RequestLogEntry) => void;
  /**
   * May `POST /_dev/reset` empty the tables? Default: only when this stack started DynamoDB
   * Local itself (an engine named by DYNAMODB_ENDPOINT may hold someone else's data).
   */
  resettable?: boolean;
  /**
   * What serves the API: `source` (`npm start`, the handlers' TypeScript in this process) or
   * `artifacts` (`npm run start:deployed`: the app synthesized by the pinned CDK CLI with this
   * environment as its settings, then each route served by its bundle in cdk.out as the template
   * wires it), so what a deployment would get wrong shows up here first. Default `source`.
   */
  target?: 'source' | 'artifacts';
  /**
   * Artifacts: where the synth writes the cloud assembly. Default `<dataDir>/cdk.out`, or a
   * temporary folder that `close` removes when there is no data folder.
   */
  outdir?: string;
  /**
   * Artifacts: local names of the template's tables, queues and secrets. Default: the same names
   * on every start (stableNaming), so the data in `dataDir` survives restarts.
   */
  naming?: LocalNaming;
  /** Artifacts: runs the synth into `outdir` with `env` (default {@link synthWithCdkCli}). */
  synth?: (outdir: string, env: Record<string, string>) => Promise<void>;
  /** Artifacts: each line a function writes (dropped when absent). */
  onFunctionLog?: (line: string, fn: DeployedFunction) => void;
  /**
   * Source: where the functions' structured log entries and the gateway's own notes go, one JSON
   * line each (`npm start`: its log file). Default: stdout and stderr, as Lambda writes them.
   */
  logOutput?: (line: string) => void;
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
  /**
   * The tables the API uses; in the artifacts mode the template's (each found in the variable
   * its functions read, `MEMBERS_TABLE`…), so a table no deployed function names is absent.
   */
  tableNames: Partial<Record<TableKey, string>>;
  /** The artifacts mode's API, assembly and local AWS; absent in the source mode. */
  deployed?: DeployedApi;
  /** The source mode's handlers (its composition root), as the API serves them; absent in the artifacts mode. */
  handlers?: SourceHandlers;
  /** The source mode's reader of the links stream for the rich menus, when they are on (tests drain it). */
  richMenuStream?: EventSourcePoller;
  close(): Promise<void>;
}

const DEMO_DIR = fileURLToPath(new URL('./demo/', import.meta.url));

/**
 * Starts the whole service on one machine: DynamoDB Local (unless DYNAMODB_ENDPOINT is set),
 * the LINE Platform emulator (unless LINE_API_BASE is set), the company IdP emulator (unless
 * COMPANY_OIDC_ISSUER is set), the API behind the API Gateway adapter, and the demo page at
 * `/demo/`. Every variable that is set wins over these defaults. Both targets share all of it;
 * only what answers the API differs (the source, or the synthesized bundles).
 */
export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const env = options.env ?? process.env;
  const artifacts = options.target === 'artifacts';
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
    const dynamoEndpoint = env.DYNAMODB_ENDPOINT;
    // The source mode's tables, named by the environment; the artifacts mode takes the template's.
    const names: Partial<Record<TableKey, string>> = {};
    if (!artifacts) {
      const sourceNames = { ...readConfig(env).tables };
      Object.assign(names, sourceNames);
      const client = localClient(dynamoEndpoint);
      try {
        await ensureTables(client, sourceNames);
      } finally {
        client.destroy();
      }
      await importSampleMembersIfEmpty(sourceNames.members, env);
    }

    let line: LinePlatformEmulator | undefined;
    if (!env.LINE_API_BASE) {
      const { channelIds, loginChannelId } = readConfig(env).line;
      line = await startLinePlatformEmulator({
        port: offset(1),
        host: '127.0.0.1',
        // Every listed channel mints tokens; only the web-login channel's secret is ever used
        // (HS256 ID tokens of the token endpoint), the others get a distinct stand-in.
        channels: channelIds.map((channelId) => ({
          channelId,
          channelSecret:
            channelId === loginChannelId
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
      env.LINE_API_DATA_BASE ??= line.url;
      // Rich menus by link status: the demo's two menus, unless the settings name menus.
      if (!env.RICH_MENU_LINKED_ID?.trim() && !env.RICH_MENU_UNLINKED_ID?.trim())
        await createDemoRichMenus(env, line.url);
      // `npm run richmenu` finds the emulator, its channel and the menus through this file.
      if (options.dataDir) {
        const file = join(options.dataDir, 'dev-line.json');
        await writeFile(file, `${JSON.stringify(devLineSettings(env), null, 2)}\n`);
        stops.push(() => rm(file, { force: true }));
      }
    }

    let company: CompanyIdpEmulator | undefined;
    if (!env.COMPANY_OIDC_ISSUER) {
      company = await startCompanyIdpEmulator({
        port: offset(2),
        host: '127.0.0.1',
        clients: [
          {
            clientId: env.COMPANY_OIDC_CLIENT_ID!,
            clientSecret: env.COMPANY_OIDC_CLIENT_SECRET!,
            // Signed UserInfo answers: what COMPANY_ACCESS_TOKEN_CHECK=userinfo (the default) needs.
            userinfoSignedResponseAlg: 'RS256',
          },
        ],
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
        memberFactors: readConfig(env).memberFactors,
        // The demo as a LIFF app: a real LIFF ID makes it run on LINE; without one, liff-mock.
        liffId: env.LIFF_ID?.trim() || null,
        lineApiBase: env.LINE_API_BASE,
        companyIssuer: env.COMPANY_OIDC_ISSUER,
        resetAvailable,
      });
    const devRoutes = await createDevRoutes({
      // The artifacts mode empties the template's tables itself (below): re-creating them as the
      // source defines them would cut the links table's stream from its event source mapping.
      dynamoEndpoint: resetAvailable && !artifacts ? dynamoEndpoint : undefined,
      tableNames: names as Record<TableKey, string>,
      publicBaseUrl: () => env.PUBLIC_BASE_URL ?? '',
    });
    stops.push(() => devRoutes.close());
    const adminCredentials = localIamCredentials(env);
    const extra = async (req: IncomingMessage, res: ServerResponse) =>
      (await devRoutes.handle(req, res)) || serveDemo(req, res, demoConfig);

    let api: LocalServer;
    let deployed: DeployedApi | undefined;
    let handlers: SourceHandlers | undefined;
    let richMenuStream: EventSourcePoller | undefined;
    if (!artifacts) {
      const logOutput = options.logOutput;
      handlers = createSourceHandlers(env, { logOutput });
      api = await startLocalServer({
        handlers,
        iam: adminCredentials,
        onRequest: options.onRequest,
        onGatewayLog: logOutput && ((entry) => logOutput(gatewayLogLine(entry))),
        port: options.port,
        host: '127.0.0.1',
        corsOrigins: readConfig(env).corsOrigins,
        extra,
      });
      // Rich menus by link status: the links table's stream runs `rich-menu-stream`, as in AWS.
      if (env.RICH_MENU_LINKED_ID?.trim() || env.RICH_MENU_UNLINKED_ID?.trim()) {
        const stream = await startRichMenuStream({ handlers, dynamoEndpoint, linksTable: names.links! });
        stops.push(() => stream.close());
        richMenuStream = stream;
      }
    } else {
      // The synth bakes the public URL into the functions' environment: know the port first.
      const port = options.port || (await freePort());
      env.PUBLIC_BASE_URL ??= `http://localhost:${port}`;
      env.APP_RETURN_URLS ??= `${env.PUBLIC_BASE_URL}/demo/`;
      let outdir = options.outdir ?? (options.dataDir ? resolve(options.dataDir, 'cdk.out') : undefined);
      if (!outdir) {
        const temporary = await mkdtemp(join(tmpdir(), 'line-id-link-start-deployed-'));
        stops.push(() => rm(temporary, { recursive: true, force: true }));
        outdir = temporary;
      }
      const synthEnv = { ...definedOnly(env), ...synthSettings(env) };
      await (options.synth ?? synthWithCdkCli)(outdir, synthEnv);

      // Loaded here: `npm start` never needs the assembly reader, IAM simulator or stream client.
      const { startDeployedApi } = await import('./artifacts/deployed-api.js');
      const { stableNaming } = await import('./artifacts/cloud-assembly.js');
      const resetDeployed = async (req: IncomingMessage, res: ServerResponse) => {
        if (
          !resetAvailable ||
          req.method !== 'POST' ||
          new URL(req.url ?? '/', 'http://localhost').pathname !== '/_dev/reset'
        )
          return false;
        const tables = RESET_TABLES.flatMap((key) =>
          deployed!.app.tables.filter((t) => t.name === names[key]),
        );
        await emptyTables(dynamoEndpoint, tables);
        res
          .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
          .end(JSON.stringify({ reset: true, tables: tables.map((t) => t.name) }));
        return true;
      };
      deployed = await startDeployedApi({
        outdir,
        naming: options.naming ?? stableNaming(),
        dynamodbEndpoint: dynamoEndpoint,
        overlay: Object.fromEntries(
          EMULATOR_VARIABLES.flatMap((name) => (env[name] ? [[name, env[name]]] : [])),
        ),
        secretValues: env,
        iam: adminCredentials,
        port,
        host: '127.0.0.1',
        extra: async (req, res) => (await resetDeployed(req, res)) || extra(req, res),
        onRequest: options.onRequest,
        onLog: options.onFunctionLog,
      });
      stops.push(() => deployed!.close());
      api = deployed.api;
      Object.assign(names, deployedTableNames(deployed.app));
      // Pattern 3's sample records go where the deployed functions read them.
      if (names.members) await importSampleMembersIfEmpty(names.members, env);
    }
    if (!artifacts) stops.push(() => api.close());
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
      dynamoEndpoint,
      demoUrl,
      adminCredentials,
      tableNames: names,
      deployed,
      handlers,
      ...(richMenuStream ? { richMenuStream } : {}),
      close: async () => {
        for (const stop of stops.reverse()) await stop();
      },
    };
  } catch (error) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw error;
  }
}

/** A note of the local gateway as one JSON line, beside the functions' entries in the same log. */
function gatewayLogLine({ error, ...entry }: GatewayLogEntry): string {
  return JSON.stringify({
    ...entry,
    timestamp: new Date().toISOString(),
    source: 'api-gateway',
    ...(error === undefined
      ? {}
      : { error: { ...errorFields(error), stack: error instanceof Error ? error.stack : undefined } }),
  });
}

/**
 * Settings the emulators of this stack fill in: the artifacts mode lays them over the template's
 * values, so they win even over a synthesized value that would differ.
 */
const EMULATOR_VARIABLES = [
  'LINE_API_BASE',
  'LINE_AUTH_BASE',
  'LINE_ISSUER',
  'COMPANY_OIDC_ISSUER',
  'COMPANY_API_URL',
  'COMPANY_API_TOKEN_URL',
  'PUBLIC_BASE_URL',
  'APP_RETURN_URLS',
] as const;

/**
 * What the synth of the artifacts mode needs beyond the environment `npm start` completes: the
 * CDK app reads every setting from its UPPER_SNAKE variable (lib/settings.ts), but a few that the
 * source mode never needs are required there. `LINK_PATTERNS` names the patterns this stack turns
 * on (as {@link describePatterns} lists them), `MEMBER_FACTORS` and `COMPANY_API_AUTH` the values
 * the handlers default to. A variable that is set is left as it is.
 */
export function synthSettings(env: NodeJS.ProcessEnv): Record<string, string> {
  const settings: Record<string, string> = {};
  if (!env.LINK_PATTERNS?.trim()) {
    const patterns = linkPatternsOf(env);
    if (patterns.length > 0) settings.LINK_PATTERNS = patterns.join(',');
  }
  if (!env.MEMBER_FACTORS?.trim()) settings.MEMBER_FACTORS = readConfig(env).memberFactors.join(',');
  if (!env.COMPANY_API_AUTH?.trim()) settings.COMPANY_API_AUTH = VARIABLES.COMPANY_API_AUTH.default;
  return settings;
}

/**
 * The synth's `LINK_PATTERNS` for what this environment turns on: the company IdP gives `oidc`
 * and the web flow (`web`), the company API `api`, the pepper `record`, and the Messaging API
 * channel pattern 4 (`account-link`, which runs on the web flow's sign-in).
 */
export function linkPatternsOf(env: NodeJS.ProcessEnv): string[] {
  const patterns: string[] = [];
  if (settingOn(env, 'COMPANY_OIDC_ISSUER')) patterns.push('oidc', 'web');
  if (settingOn(env, 'COMPANY_API_URL')) patterns.push('api');
  if (settingOn(env, 'MEMBER_HASH_PEPPER')) patterns.push('record');
  if (settingOn(env, 'LINE_MESSAGING_CHANNEL_ID') && patterns.includes('web')) patterns.push('account-link');
  return patterns;
}

const runFile = promisify(execFile);
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Synthesizes the app as a deployer does, with the pinned CDK CLI (`npx cdk synth`, cdk.json's
 * app, cdk-nag included) and the settings in `env`. Its output matters only when it fails: the
 * error then carries all of it.
 */
export async function synthWithCdkCli(outdir: string, env: Record<string, string>): Promise<void> {
  // Offline and quick whatever AWS profile this machine has: the CLI would otherwise ask STS for
  // the account (and hang on an expired login). The mode needs no account of its own.
  const offline = Object.fromEntries(
    Object.entries(env).filter(
      ([name]) => !/^AWS_(PROFILE|ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)$/.test(name),
    ),
  );
  try {
    await runFile('npx', ['cdk', 'synth', '--quiet', '-o', outdir], {
      cwd: PROJECT_ROOT,
      env: { ...offline, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    const output = `${failed.stdout ?? ''}${failed.stderr ?? ''}`.trim();
    throw new Error(`cdk synth failed:\n${output || failed.message}`, { cause: error });
  }
}

/** Each table the deployed functions name, under the variable the source mode reads too. */
function deployedTableNames(app: DeployedApp): Partial<Record<TableKey, string>> {
  const names: Partial<Record<TableKey, string>> = {};
  for (const key of Object.keys(TABLES) as TableKey[]) {
    const name = app.functions.map((fn) => fn.environment[TABLES[key].envVar]).find(Boolean);
    if (name) names[key] = name;
  }
  return names;
}

/**
 * Deletes every item of `tables`, keeping the tables themselves (and so the links stream and its
 * mapping). The stream function then sees the removals, as it would in AWS.
 */
async function emptyTables(
  endpoint: string,
  tables: ReadonlyArray<{ name: string; createTableInput: { KeySchema: Array<{ AttributeName: string }> } }>,
): Promise<void> {
  const client = localClient(endpoint);
  try {
    for (const table of tables) {
      const keys = table.createTableInput.KeySchema.map((k) => k.AttributeName);
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({ TableName: table.name, ExclusiveStartKey: start, ConsistentRead: true }),
        );
        start = page.LastEvaluatedKey;
        const items = page.Items ?? [];
        // BatchWriteItem takes at most 25 requests:
        // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
        for (let i = 0; i < items.length; i += 25) {
          let requests: Record<string, Array<{ DeleteRequest?: { Key: Record<string, AttributeValue> } }>> = {
            [table.name]: items.slice(i, i + 25).map((item) => ({
              DeleteRequest: { Key: Object.fromEntries(keys.map((k) => [k, item[k]!])) },
            })),
          };
          while (Object.keys(requests).length > 0) {
            const result = await client.send(new BatchWriteItemCommand({ RequestItems: requests }));
            requests = (result.UnprocessedItems ?? {}) as typeof requests;
          }
        }
      } while (start);
    }
  } finally {
    client.destroy();
  }
}

/** The environment with its unset variables left out (what a child process can be given). */
function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** Is a setting given, directly or as an existing secret (`X_ARN`)? */
function settingOn(env: NodeJS.ProcessEnv, name: string): boolean {
  return Boolean(env[name]?.trim() || env[`${name}_ARN`]?.trim());
}

/**
 * Which linking patterns this configuration serves, one line each, for `npm start` to print:
 * pattern 1 needs the company IdP (`COMPANY_OIDC_ISSUER`), pattern 2 the company verification
 * API (`COMPANY_API_URL`), pattern 3 the pepper of the imported records (`MEMBER_HASH_PEPPER`).
 * A pattern that is off answers 501 `feature-disabled` on its route.
 */
export function describePatterns(env: NodeJS.ProcessEnv): string[] {
  const line = (label: string, variable: string) =>
    `  ${label.padEnd(52)}${settingOn(env, variable) ? 'on' : `off (set ${variable})`}`;
  return [
    line('Pattern 1 (company IdP, POST /links):', 'COMPANY_OIDC_ISSUER'),
    line('Pattern 2 (company API, POST /links/by-api):', 'COMPANY_API_URL'),
    line('Pattern 3 (member records, POST /links/by-record):', 'MEMBER_HASH_PEPPER'),
    line('Pattern 4 and the webhook (LINE Official Account):', 'LINE_MESSAGING_CHANNEL_ID'),
  ];
}

/**
 * Pattern 3 needs imported records: a first start (an empty members table) imports
 * {@link SAMPLE_MEMBERS_CSV} with the same code as `npm run import`.
 */
async function importSampleMembersIfEmpty(table: string, env: NodeJS.ProcessEnv): Promise<void> {
  const probe = localClient(env.DYNAMODB_ENDPOINT!);
  try {
    const found = await probe.send(new ScanCommand({ TableName: table, Limit: 1 }));
    if (found.Items?.length) return;
  } finally {
    probe.destroy();
  }
  const config = readConfig(env);
  const client = createDocumentClient(config.dynamo);
  try {
    await importMembers(readMemberCsv(createReadStream(SAMPLE_MEMBERS_CSV)), {
      store: new DynamoMemberRepository(client, table),
      hasher: new HmacFactorHasher(env.MEMBER_HASH_PEPPER!),
      requiredFactors: config.memberFactors,
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
