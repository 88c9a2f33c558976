import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { ensureTables, localClient, taggedTableNames } from '../../functions/local/dynamodb-local.js';
import { TABLES, type TableKey } from '../../functions/manifest/table-definitions.js';
import { startLocalServer, type LocalServer } from '../../functions/local/local-server.js';
import { freePort } from '../../functions/local/dynamodb-local.js';
import { taggedNaming } from '../../functions/local/artifacts/cloud-assembly.js';
import { startDeployedApi, type DeployedApi } from '../../functions/local/artifacts/deployed-api.js';
import { formatIamReport } from '../../functions/local/artifacts/iam-check.js';
import { documentClient } from '../../functions/composition/adapters.js';
import { readConfig } from '../../functions/config.js';
import { createSourceHandlers } from '../../functions/local/source-handlers.js';
import { recordIamReport } from './deployed-iam.js';
import type { LocalIamCredentials } from '../../functions/local/sigv4.js';
import {
  startLinePlatformEmulator,
  type LinePlatformEmulator,
} from '../../functions/local/emulators/line-platform-emulator.js';
import {
  startCompanyIdpEmulator,
  type CompanyIdpEmulator,
} from '../../functions/local/emulators/company-idp-emulator.js';

/** Channel and client settings every integration suite uses. */
export const TEST_CHANNEL = { channelId: '1234567890', channelSecret: 'test-channel-secret-0123456789ab' };
export const OTHER_CHANNEL = { channelId: '9876543210', channelSecret: 'other-channel-secret-0123456789' };
/** A third channel the emulator knows (e.g. a LINE MINI App's review channel); unlisted unless a suite lists it. */
export const THIRD_CHANNEL = { channelId: '1122334455', channelSecret: 'third-channel-secret-0123456789a' };
/**
 * The service's `private_key_jwt` key at the company IdP (PKCS#8 PEM, as COMPANY_OIDC_PRIVATE_KEY
 * holds it); its public key is registered for TEST_CLIENT.
 */
const clientKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const clientJwk = clientKeys.publicKey.export({ format: 'jwk' });
// RFC 7638 thumbprint: the kid the service puts in its assertions for a PEM key.
const clientKid = createHash('sha256')
  .update(JSON.stringify({ crv: clientJwk.crv, kty: clientJwk.kty, x: clientJwk.x, y: clientJwk.y }))
  .digest('base64url');
export const TEST_CLIENT_PRIVATE_KEY = clientKeys.privateKey
  .export({ format: 'pem', type: 'pkcs8' })
  .toString();
export const TEST_CLIENT = {
  clientId: 'line-id-link',
  clientSecret: 'company-client-secret',
  jwks: [{ ...clientJwk, kid: clientKid, alg: 'ES256', use: 'sig' }],
  // UserInfo answers are signed JWTs naming the client (COMPANY_ACCESS_TOKEN_CHECK=userinfo).
  userinfoSignedResponseAlg: 'RS256' as const,
};
export const OTHER_CLIENT = { clientId: 'another-app', clientSecret: 'another-secret' };
/** Another app of the same IdP whose UserInfo answers are signed too (for it: `aud` is its own ID). */
export const SIGNED_OTHER_CLIENT = {
  clientId: 'third-app',
  clientSecret: 'third-secret',
  userinfoSignedResponseAlg: 'ES256' as const,
};

/**
 * The cloud assembly the `deployed` jest project synthesized (deployed-global-setup.mjs): when
 * set, suites run against the deployed-artifact mode instead of the handlers' source.
 */
const DEPLOYED_ASSEMBLY = process.env.DEPLOYED_ASSEMBLY;

/** Everything an integration suite talks to. */
export interface TestStack {
  api: LocalServer;
  line: LinePlatformEmulator;
  company: CompanyIdpEmulator;
  tables: Record<TableKey, string>;
  dynamo: ReturnType<typeof localClient>;
  /** All items of one of this suite's tables (raw attribute values). */
  scan(table: TableKey): Promise<Array<Record<string, unknown>>>;
  /**
   * The environment the service's functions read: the process's at the start, under the stack's
   * settings, the suite's and what it set with {@link configure} (read by each function at its
   * first request).
   */
  env(): Record<string, string | undefined>;
  /**
   * Sets (or, with `undefined`, unsets) settings that depend on what the suite started after the
   * stack (a fake LINE API, a fault proxy). Each function reads them at its first request, as at a
   * Lambda cold start: one already built keeps what it read.
   */
  configure(values: Record<string, string | undefined>): void;
  /** In the deployed-artifact mode: the bundles of cdk.out behind the API, and what stands in for AWS. */
  deployed?: DeployedApi;
  /**
   * Waits until the LINE work the webhook queued so far (replies, link tokens) has run: the
   * in-process queue of the handlers' source (WEBHOOK_QUEUE_URL unset), or in the deployed-artifact
   * mode the queue's event source mapping and the worker's bundle. Work that failed and waits for
   * its visibility timeout is not waited for.
   */
  webhookWorkDone(): Promise<void>;
  /**
   * The deployed-artifact mode only: moves the local queues' clock on by `ms` (a failed message's
   * visibility timeout passes at once). Other clocks (tokens, emulators) are not moved.
   */
  advanceQueueClock?: (ms: number) => void;
  close(): Promise<void>;
}

/**
 * Starts the real stack for one test file: the emulators on random ports, this suite's own
 * tables in the run's shared DynamoDB Local (started by globalSetup), the environment the
 * handlers read at cold start, and the local API server. The environment is the stack's own map,
 * never written into `process.env`; each handler reads it at its first request, as in a Lambda
 * cold start, so a suite may still change a setting before then ({@link TestStack.configure}).
 *
 * @param env extra or overriding environment variables for this suite (`undefined` unsets one).
 * @param options.iam credentials the admin routes accept (SigV4); without them they refuse all.
 * @param options.logOutput where the functions' log entries and the gateway's notes go, one JSON
 *   line each (the handlers' source only; default: stdout and stderr).
 */
export async function startTestStack(
  env: Record<string, string | undefined> = {},
  options: { iam?: LocalIamCredentials; logOutput?: (line: string) => void } = {},
): Promise<TestStack> {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint)
    throw new Error('DYNAMODB_ENDPOINT is not set: run integration tests through jest (globalSetup).');
  const line = await startLinePlatformEmulator({ channels: [TEST_CHANNEL, OTHER_CHANNEL, THIRD_CHANNEL] });
  const company = await startCompanyIdpEmulator({
    clients: [TEST_CLIENT, OTHER_CLIENT, SIGNED_OTHER_CLIENT],
  });
  const suffix = randomBytes(4).toString('hex');
  const tables = taggedTableNames(suffix);
  const dynamo = localClient(endpoint);
  if (!DEPLOYED_ASSEMBLY) await ensureTables(dynamo, tables);

  // The process's environment (PATH, the run's DYNAMODB_ENDPOINT…), under the stack's settings.
  const before: Record<string, string | undefined> = { ...process.env };
  const settings: Record<string, string | undefined> = {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    LINE_CHANNEL_ID: TEST_CHANNEL.channelId,
    LINE_CHANNEL_SECRET: TEST_CHANNEL.channelSecret,
    LINE_API_BASE: line.url,
    LINE_AUTH_BASE: line.url,
    LINE_ISSUER: line.issuer,
    COMPANY_OIDC_ISSUER: company.issuer,
    COMPANY_OIDC_CLIENT_ID: TEST_CLIENT.clientId,
    COMPANY_OIDC_CLIENT_SECRET: TEST_CLIENT.clientSecret,
    OUTBOUND_TIMEOUT_MS: '1000',
    // Every test request comes from 127.0.0.1: suites that count per address say so themselves.
    ATTEMPTS_PER_ADDRESS: '100000',
    // The deployed-artifact mode takes its table names from the template.
    ...(DEPLOYED_ASSEMBLY
      ? {}
      : Object.fromEntries(
          (Object.keys(TABLES) as TableKey[]).map((key) => [TABLES[key].envVar, tables[key]]),
        )),
    ...env,
  };
  /** What this suite sets: the stack's settings and its own. */
  const overlay = () => ({ ...settings });
  const currentEnv = () => ({ ...before, ...overlay() });
  let api: LocalServer;
  let handlers: ReturnType<typeof createSourceHandlers> | undefined;
  let deployed: DeployedApi | undefined;
  let queueClockOffset = 0;
  if (DEPLOYED_ASSEMBLY) {
    // The deployed-artifact mode: the same suite against the bundles of cdk.out, as the template
    // wires them. The suite's variables replace the template's values (never add names), its
    // secrets are served by the local Secrets Manager, and its tables come from the template.
    const port = await freePort();
    settings.PUBLIC_BASE_URL ??= `http://127.0.0.1:${port}`;
    deployed = await startDeployedApi({
      outdir: DEPLOYED_ASSEMBLY,
      naming: taggedNaming(suffix),
      // The suite's own DYNAMODB_ENDPOINT (a fault proxy in front of the run's engine) is where the
      // functions' DynamoDB calls go; the tables are made on the engine itself.
      dynamodbEndpoint: settings.DYNAMODB_ENDPOINT ?? endpoint,
      // The variables this suite set (its channels, emulator URLs, limits, secrets), read at each
      // function's cold start: a suite may still set one before its first request. What the
      // suite did not touch (NODE_OPTIONS, log levels…) stays as the template has it.
      overlay: () =>
        Object.fromEntries(
          Object.entries(overlay()).filter(
            (entry): entry is [string, string] => entry[1] !== undefined && before[entry[0]] !== entry[1],
          ),
        ),
      secretValues: currentEnv,
      iam: options.iam,
      now: () => new Date(Date.now() + queueClockOffset),
      port,
      // DEPLOYED_FUNCTION_LOGS=1 shows what the functions write (their logs are the only trace
      // of a failure inside a bundle).
      onLog: process.env.DEPLOYED_FUNCTION_LOGS
        ? (line, fn) => process.stderr.write(`[${fn.logicalId}] ${line}\n`)
        : undefined,
    });
    api = deployed.api;
    for (const key of Object.keys(TABLES) as TableKey[]) {
      const fn = deployed.app.functions.find((f) => f.environment[TABLES[key].envVar]);
      if (fn) tables[key] = settings[TABLES[key].envVar] = fn.environment[TABLES[key].envVar]!;
    }
  } else {
    handlers = createSourceHandlers(currentEnv, { logOutput: options.logOutput });
    api = await startLocalServer({
      handlers,
      corsOrigins: readConfig(currentEnv()).corsOrigins,
      iam: options.iam,
      onGatewayLog: options.logOutput && ((entry) => options.logOutput!(JSON.stringify(entry))),
    });
    settings.PUBLIC_BASE_URL ??= api.url;
  }

  return {
    api,
    line,
    company,
    tables,
    dynamo,
    scan: async (table) =>
      (await dynamo.send(new ScanCommand({ TableName: tables[table], ConsistentRead: true }))).Items ?? [],
    env: currentEnv,
    configure: (values) => {
      Object.assign(settings, values);
    },
    deployed,
    ...(deployed
      ? {
          advanceQueueClock: (ms: number) => {
            queueClockOffset += ms;
          },
        }
      : {}),
    webhookWorkDone: async () => {
      if (deployed) return deployed.drain();
      await handlers!.webhookWorkIdle();
    },
    close: async () => {
      if (deployed) {
        // Every AWS call the suite made, checked against the calling function's role.
        let report;
        try {
          report = await deployed.iamReport();
          recordIamReport(report, suffix);
        } finally {
          await deployed.close();
          await line.close();
          await company.close();
          dynamo.destroy();
        }
        if (report.denied.length > 0)
          throw new Error(`A deployed function made calls its role denies:\n${formatIamReport(report)}`);
        return;
      }
      await api.close();
      // The handlers' DynamoDB client keeps keep-alive sockets open; release them.
      documentClient(handlers!.wiring()).destroy();
      await line.close();
      await company.close();
      dynamo.destroy();
    },
  };
}
