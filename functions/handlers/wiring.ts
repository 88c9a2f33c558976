import { hkdfSync } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  checkMemberHashPepper,
  loadAttemptLimits,
  loadCompanyApiConfig,
  loadCompanyOidcConfig,
  loadLineConfig,
  loadLineLoginChannelId,
  loadMessagingConfig,
  loadMemberFactors,
  loadWebConfig,
  readSecret,
} from '../config.js';
import { CompanyVerificationApiClient } from '../adapters/company/company-verification-api-client.js';
import { HmacFactorHasher } from '../adapters/crypto/hmac-factor-hasher.js';
import { DynamoAttemptLimiter, DynamoAttemptUnlocker } from '../adapters/dynamo/dynamo-attempt-limiter.js';
import { DynamoMemberRepository } from '../adapters/dynamo/dynamo-member-repository.js';
import { createDocumentClient } from '../adapters/dynamo/dynamo-client.js';
import { DynamoAuditLog } from '../adapters/dynamo/dynamo-audit-log.js';
import { DynamoLinkRepository } from '../adapters/dynamo/dynamo-link-repository.js';
import { TABLES, tableName, type TableKey } from '../adapters/dynamo/table-definitions.js';
import { DynamoPersonalDataEraser } from '../adapters/dynamo/dynamo-personal-data-eraser.js';
import { createPseudonymizer } from '../export/pseudonym.js';
import { LinePlatformClient } from '../adapters/line/line-platform-client.js';
import { LineChannelTokenClient } from '../adapters/line/line-channel-token-client.js';
import { LineDeauthorizeClient } from '../adapters/line/line-deauthorize-client.js';
import type { DeauthorizePorts } from '../core/use-cases/unlink-me.js';
import { SQSClient } from '@aws-sdk/client-sqs';
import { LineMulticastClient } from '../adapters/line/line-multicast-client.js';
import { DynamoMessageJobStore } from '../adapters/dynamo/dynamo-message-job-store.js';
import { InProcessJobQueue, SqsJobQueue } from '../adapters/queue/job-queues.js';
import { runMessageBatch, type JobQueue, type RunMessageBatchPorts } from '../core/use-cases/message-jobs.js';
import { OidcCompanyVerifier } from '../adapters/company/oidc-company-verifier.js';
import { OidcWebLoginClient } from '../adapters/company/oidc-web-login-client.js';
import { cryptoRandom } from '../adapters/crypto/crypto-random.js';
import { DynamoLoginSessionStore } from '../adapters/dynamo/dynamo-login-session-store.js';
import { LineWebLoginClient } from '../adapters/line/line-web-login-client.js';
import type { WebLoginPorts } from '../core/use-cases/web-login.js';
import { systemClock } from '../core/ports.js';

/**
 * Adapters a handler plugs into its use case, each built once per execution environment on
 * first use (handlers call these at module scope, so configuration errors fail the cold start
 * and caches such as JWKS survive across invocations).
 */
function once<T>(factory: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= factory());
}

export const documentClient = /* @__PURE__ */ once<DynamoDBDocumentClient>(() => createDocumentClient());

export const lineConfig = /* @__PURE__ */ once(() => loadLineConfig());

export const linePlatform = /* @__PURE__ */ once(() => new LinePlatformClient(lineConfig()));

export const companyVerifier = /* @__PURE__ */ once(() => new OidcCompanyVerifier(loadCompanyOidcConfig()));

/** The audit trail: records events and serves a user's history. */
export const auditLog = /* @__PURE__ */ once(() => new DynamoAuditLog(documentClient(), tableName('audit')));

/** Links; every link and unlink writes its audit event in the same transaction. */
export const linkRepository = /* @__PURE__ */ once(
  () => new DynamoLinkRepository(documentClient(), tableName('links'), auditLog().transactionWrites()),
);

// ------------------------------------------------------------------ member data (patterns 2 and 3)

/** Factors this deployment requires (`MEMBER_FACTORS`). */
export const memberFactors = /* @__PURE__ */ once(() => loadMemberFactors());

/** Attempt counters against guessing, shared by `/links/by-record` and `/links/by-api`. */
export const attemptLimiter = /* @__PURE__ */ once(
  () => new DynamoAttemptLimiter(documentClient(), tableName('attempts'), loadAttemptLimits()),
);

/** Imported member records (pattern 3). */
export const memberRepository = /* @__PURE__ */ once(
  () => new DynamoMemberRepository(documentClient(), tableName('members')),
);

/** HMAC of factors with the pepper (read once, from the environment or Secrets Manager). */
export const factorHasher = /* @__PURE__ */ once(() => {
  checkMemberHashPepper();
  return new HmacFactorHasher(() => readSecret('MEMBER_HASH_PEPPER'));
});

/** The company's member verification API (pattern 2); its access token is cached here. */
export const companyApi = /* @__PURE__ */ once(() => {
  const config = loadCompanyApiConfig();
  const secretName = config.auth === 'oauth' ? 'COMPANY_API_CLIENT_SECRET' : 'COMPANY_API_KEY';
  return new CompanyVerificationApiClient({ config, secret: () => readSecret(secretName) });
});

// ------------------------------------------------------------------ web flow (issue 3)

/** A secret read once per execution environment; a failed read is retried by the next request. */
function cachedSecret(name: 'LINE_CHANNEL_SECRET' | 'COMPANY_OIDC_CLIENT_SECRET'): () => Promise<string> {
  let value: Promise<string> | undefined;
  return () =>
    (value ??= readSecret(name).catch((error: unknown) => {
      value = undefined;
      throw error;
    }));
}

export const lineChannelSecret = /* @__PURE__ */ cachedSecret('LINE_CHANNEL_SECRET');
export const companyClientSecret = /* @__PURE__ */ cachedSecret('COMPANY_OIDC_CLIENT_SECRET');

/** PUBLIC_BASE_URL, APP_RETURN_URLS and the optional LINE / company authorization settings. */
export const webConfig = /* @__PURE__ */ once(() => loadWebConfig());

/** Everything the web flow's use cases need. */
export const webLoginPorts = /* @__PURE__ */ once((): WebLoginPorts => {
  const web = webConfig();
  const line = lineConfig();
  const company = loadCompanyOidcConfig();
  return {
    sessions: new DynamoLoginSessionStore(documentClient(), tableName('sessions')),
    lineLogin: new LineWebLoginClient({
      channelId: line.channelId,
      authBase: line.authBase,
      apiBase: line.apiBase,
      channelSecret: lineChannelSecret,
      platform: linePlatform(),
      authorizeOptions: web.line,
      timeoutMs: line.timeoutMs,
    }),
    companyLogin: new OidcWebLoginClient({
      clientId: company.clientId,
      clientSecret: companyClientSecret,
      tokenAuthMethod: web.company.tokenAuthMethod,
      scope: web.company.scope,
      verifier: companyVerifier(),
      timeoutMs: company.timeoutMs,
    }),
    random: cryptoRandom,
    clock: systemClock,
    settings: {
      lineRedirectUri: `${web.publicBaseUrl}/auth/line/callback`,
      companyRedirectUri: `${web.publicBaseUrl}/auth/company/callback`,
      returnUrls: web.returnUrls,
      sessionTtlSeconds: web.sessionTtlSeconds,
    },
  };
});

// ------------------------------------------------------------------ admin API (IAM-authorized)

/** Ports of the admin lookups. */
export const adminLinkPorts = /* @__PURE__ */ once(() => ({
  links: linkRepository(),
  audit: auditLog(),
  clock: systemClock,
}));

/** Every table's name, for the erasure that touches them all. */
const allTables = () =>
  Object.fromEntries((Object.keys(TABLES) as TableKey[]).map((key) => [key, tableName(key)])) as Record<
    TableKey,
    string
  >;

/**
 * Pseudonyms of erased identifiers in the audit trail: keyed with a key derived from the member
 * hashing pepper (HKDF, RFC 5869, with its own label), so no extra secret is needed and the key
 * is as stable as the pepper itself.
 */
const auditPseudonymizer = /* @__PURE__ */ once(() => {
  let value: Promise<(id: string) => string> | undefined;
  return () =>
    (value ??= readSecret('MEMBER_HASH_PEPPER').then((pepper) =>
      createPseudonymizer(
        Buffer.from(hkdfSync('sha256', pepper, '', 'line-id-link audit pseudonyms', 32)).toString('hex'),
      ),
    )).catch((error: unknown) => {
      value = undefined;
      throw error;
    });
});

/** Ports of the admin unlink (and erasure). */
export const adminUnlinkPorts = /* @__PURE__ */ once(() => ({
  ...adminLinkPorts(),
  eraser: new DynamoPersonalDataEraser({
    client: documentClient(),
    tables: allTables(),
    pseudonymizer: auditPseudonymizer(),
  }),
}));

/** Ports of the admin unlock. */
export const adminUnlockPorts = /* @__PURE__ */ once(() => ({
  attempts: new DynamoAttemptUnlocker(documentClient(), tableName('attempts')),
  audit: auditLog(),
  clock: systemClock,
}));

// ------------------------------------------------------------------ deauthorize on unlink

/** LINE Login channel access tokens (stateless, cached), for deauthorize. */
export const lineLoginChannelTokens = /* @__PURE__ */ once(
  () =>
    new LineChannelTokenClient({
      apiBase: lineConfig().apiBase,
      channelId: loadLineLoginChannelId(),
      channelSecret: lineChannelSecret,
      timeoutMs: lineConfig().timeoutMs,
    }),
);

/** Deauthorize at LINE after an unlink, audited. */
export const deauthorizePorts = /* @__PURE__ */ once((): DeauthorizePorts => ({
  deauthorizer: new LineDeauthorizeClient({
    apiBase: lineConfig().apiBase,
    tokens: lineLoginChannelTokens(),
    timeoutMs: lineConfig().timeoutMs,
  }),
  audit: auditLog(),
  clock: systemClock,
}));

// ------------------------------------------------------------------ messages to members

export const messagingConfig = /* @__PURE__ */ once(() => loadMessagingConfig());

/** Messaging API channel access tokens (stateless, cached). */
export const messagingChannelTokens = /* @__PURE__ */ once(
  () =>
    new LineChannelTokenClient({
      apiBase: messagingConfig().apiBase,
      channelId: messagingConfig().channelId,
      channelSecret: () => readSecret('LINE_MESSAGING_CHANNEL_SECRET'),
    }),
);

/** Multicast with retry keys and back-off. */
export const multicastSender = /* @__PURE__ */ once(
  () =>
    new LineMulticastClient({
      apiBase: messagingConfig().apiBase,
      tokens: messagingChannelTokens(),
      timeoutMs: messagingConfig().timeoutMs,
    }),
);

export const messageJobStore = /* @__PURE__ */ once(
  () => new DynamoMessageJobStore(documentClient(), tableName('jobs')),
);

/** What the worker needs to send one batch. */
export const messageBatchPorts = /* @__PURE__ */ once((): RunMessageBatchPorts => ({
  jobs: messageJobStore(),
  links: linkRepository(),
  sender: multicastSender(),
}));

/** SQS when MESSAGE_QUEUE_URL is set (the cloud); otherwise the batches run in this process. */
export const messageQueue = /* @__PURE__ */ once((): JobQueue => {
  const url = messagingConfig().queueUrl;
  if (url) return new SqsJobQueue(new SQSClient({}), url);
  return new InProcessJobQueue((ref) => runMessageBatch(ref, messageBatchPorts()));
});
