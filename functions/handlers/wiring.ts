import { hkdfSync } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  checkMemberHashPepper,
  loadDynamoConfig,
  loadAttemptLimits,
  loadAuditRetentionDays,
  loadCompanyApiConfig,
  loadDeployedRoutes,
  loadMemberAnswerTiming,
  loadCompanyOidcConfig,
  loadCompanyOidcMaxAge,
  loadLineApiConfig,
  loadLineConfig,
  loadMessageSendConfig,
  loadMessagingConfig,
  loadLineTokenCacheConfig,
  loadMemberFactors,
  loadWebConfig,
  loadWebhookQueueUrl,
  readSecret,
  tableName,
} from '../config.js';
import { CompanyVerificationApiClient } from '../adapters/company/company-verification-api-client.js';
import { HmacFactorHasher } from '../adapters/crypto/hmac-factor-hasher.js';
import { DynamoAttemptLimiter, DynamoAttemptUnlocker } from '../adapters/dynamo/dynamo-attempt-limiter.js';
import { DynamoMemberRepository } from '../adapters/dynamo/dynamo-member-repository.js';
import { createDocumentClient } from '../adapters/dynamo/dynamo-client.js';
import { DynamoAuditLog } from '../adapters/dynamo/dynamo-audit-log.js';
import { DynamoLinkRepository } from '../adapters/dynamo/dynamo-link-repository.js';
import { TABLES, type TableKey } from '../manifest/table-definitions.js';
import { DynamoPersonalDataEraser } from '../adapters/dynamo/dynamo-personal-data-eraser.js';
import { createPseudonymizer } from '../adapters/crypto/hmac-pseudonymizer.js';
import { LinePlatformClient } from '../adapters/line/line-platform-client.js';
import { LineChannelTokenClient } from '../adapters/line/line-channel-token-client.js';
import { LineDeauthorizeClient } from '../adapters/line/line-deauthorize-client.js';
import type { DeauthorizePorts } from '../core/use-cases/unlink-me.js';
import { SQSClient } from '@aws-sdk/client-sqs';
import { LineMulticastClient } from '../adapters/line/line-multicast-client.js';
import { DynamoMessageJobStore } from '../adapters/dynamo/dynamo-message-job-store.js';
import { InProcessJobQueue, SqsJobQueue } from '../adapters/queue/job-queues.js';
import { runMessageBatch, type RunMessageBatchPorts } from '../core/use-cases/message-jobs.js';
import type { FriendshipStatusApi, JobQueue } from '../core/ports/index.js';
import { CachedLineTokenVerifier } from '../adapters/line/cached-line-token-verifier.js';
import { OidcCompanyVerifier } from '../adapters/company/oidc-company-verifier.js';
import { OidcWebLoginClient } from '../adapters/company/oidc-web-login-client.js';
import { importClientPrivateKey, type ClientAuthentication } from '../adapters/http/oauth-client.js';
import { cryptoRandom } from '../adapters/crypto/crypto-random.js';
import { DynamoLoginSessionStore } from '../adapters/dynamo/dynamo-login-session-store.js';
import { LineWebLoginClient } from '../adapters/line/line-web-login-client.js';
import type { WebLoginPorts } from '../core/use-cases/link-by-web-login.js';
import { systemClock } from '../core/ports/index.js';
import { traceAwsClient } from '../observability/tracing.js';
import { loadPublicBaseUrl } from '../config.js';
import {
  DynamoAccountLinkNonceStore,
  DynamoFriendshipStore,
  DynamoLinkTokenDirectory,
  DynamoWebhookEventLog,
} from '../adapters/dynamo/dynamo-messaging-stores.js';
import { InProcessWebhookWorkQueue, SqsWebhookWorkQueue } from '../adapters/queue/webhook-work-queues.js';
import { runWebhookWork, type WebhookWorkPorts } from '../core/use-cases/run-webhook-work.js';
import type { WebhookWorkQueue } from '../core/ports/index.js';
import { logger } from '../observability/logger.js';
import { errorFields } from '../observability/error-fields.js';
import { LineMessagingClient } from '../adapters/line/line-messaging-client.js';
import { LineFriendshipClient } from '../adapters/line/line-friendship-client.js';
import type { LineWebhookPorts } from '../core/use-cases/handle-line-webhook.js';

/**
 * Adapters a handler plugs into its use case, each built once per execution environment on
 * first use (handlers call these at module scope, so configuration errors fail the cold start
 * and caches such as JWKS survive across invocations).
 */
function once<T>(factory: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= factory());
}

export const documentClient = /* @__PURE__ */ once<DynamoDBDocumentClient>(() =>
  traceAwsClient(createDocumentClient(loadDynamoConfig())),
);

export const lineConfig = /* @__PURE__ */ once(() => loadLineConfig());

/**
 * LINE_API_BASE and the outbound timeout alone: what the Messaging API's functions use, so they
 * do not need the LINE Login settings (`line` group) their templates leave out.
 */
export const lineApi = /* @__PURE__ */ once(() => loadLineApiConfig());

export const linePlatform = /* @__PURE__ */ once(() => new LinePlatformClient(lineConfig()));

/**
 * What handlers verify `Authorization: Bearer` with: the LINE client behind a verified-token
 * cache, so a LIFF app's repeated ID token is verified once and an access token does not cost
 * two calls to LINE on every request.
 */
export const lineVerifier = /* @__PURE__ */ once(
  () =>
    new CachedLineTokenVerifier(linePlatform(), {
      channelIds: lineConfig().channelIds,
      ...loadLineTokenCacheConfig(),
    }),
);

export const companyVerifier = /* @__PURE__ */ once(() => new OidcCompanyVerifier(loadCompanyOidcConfig()));

/** The audit trail: records events and serves a user's history. */
export const auditLog = /* @__PURE__ */ once(
  () =>
    new DynamoAuditLog(documentClient(), tableName('audit'), systemClock, {
      retentionDays: loadAuditRetentionDays(),
    }),
);

/**
 * Links; every link and unlink writes its audit event in the same transaction, and a new link
 * takes over the user's friendship (the messaging table's) in it.
 */
export const linkRepository = /* @__PURE__ */ once(
  () =>
    new DynamoLinkRepository(
      documentClient(),
      tableName('links'),
      auditLog().transactionWrites(),
      tableName('messaging'),
      tableName('sessions'),
    ),
);

// ------------------------------------------------------------------ member data (patterns 2 and 3)

/** Factors this deployment requires (`MEMBER_FACTORS`). */
export const memberFactors = /* @__PURE__ */ once(() => loadMemberFactors());

/** Attempt counters against guessing, shared by `/links/by-record` and `/links/by-api`. */
export const attemptLimiter = /* @__PURE__ */ once(
  () => new DynamoAttemptLimiter(documentClient(), tableName('attempts'), loadAttemptLimits()),
);

/** When failed member-data attempts are answered (pattern 2's deadline, the global slowdown). */
export const memberAnswerTiming = /* @__PURE__ */ once(() => loadMemberAnswerTiming());

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

// ------------------------------------------------------------------ web flow (docs/web-flow.md)

/** A secret read once per execution environment; a failed read is retried by the next request. */
function cachedSecret(
  name: 'LINE_CHANNEL_SECRET' | 'COMPANY_OIDC_CLIENT_SECRET' | 'COMPANY_OIDC_PRIVATE_KEY',
): () => Promise<string> {
  let value: Promise<string> | undefined;
  return () =>
    (value ??= readSecret(name).catch((error: unknown) => {
      value = undefined;
      throw error;
    }));
}

export const lineChannelSecret = /* @__PURE__ */ cachedSecret('LINE_CHANNEL_SECRET');
export const companyClientSecret = /* @__PURE__ */ cachedSecret('COMPANY_OIDC_CLIENT_SECRET');
export const companyClientPrivateKey = /* @__PURE__ */ cachedSecret('COMPANY_OIDC_PRIVATE_KEY');

/** The company token endpoint credential for COMPANY_OIDC_TOKEN_AUTH_METHOD, read and imported once. */
function companyClientAuthentication(
  method: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt',
): () => Promise<ClientAuthentication> {
  let value: Promise<ClientAuthentication> | undefined;
  const load = async (): Promise<ClientAuthentication> =>
    method === 'private_key_jwt'
      ? { method, privateKey: await importClientPrivateKey(await companyClientPrivateKey()) }
      : { method, clientSecret: await companyClientSecret() };
  return () =>
    (value ??= load().catch((error: unknown) => {
      value = undefined;
      throw error;
    }));
}

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
      channelId: line.loginChannelId,
      authBase: line.authBase,
      apiBase: line.apiBase,
      issuer: line.issuer,
      channelSecret: lineChannelSecret,
      platform: linePlatform(),
      authorizeOptions: web.line,
      timeoutMs: line.timeoutMs,
    }),
    companyLogin: new OidcWebLoginClient({
      clientId: company.clientId,
      clientAuthentication: companyClientAuthentication(web.company.tokenAuthMethod),
      scope: web.company.scope,
      maxAge: loadCompanyOidcMaxAge(),
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

// ------------------------------------------------------------------ Messaging API (webhook, pattern 4)

/** LINE_MESSAGING_CHANNEL_ID and the bot's settings (functions/config.ts, loadMessagingConfig). */
export const messagingConfig = /* @__PURE__ */ once(() => loadMessagingConfig());

/** The Messaging API channel secret: the webhook's HMAC key and the channel access token's credential. */
export const messagingChannelSecret = /* @__PURE__ */ (() => {
  let value: Promise<string> | undefined;
  return () =>
    (value ??= readSecret('LINE_MESSAGING_CHANNEL_SECRET').catch((error: unknown) => {
      value = undefined;
      throw error;
    }));
})();

/** The Messaging API client; caches its channel access token per execution environment. */
export const messagingApi = /* @__PURE__ */ once(
  () =>
    new LineMessagingClient({
      tokens: messagingChannelTokens(),
      timeoutMs: lineApi().timeoutMs,
    }),
);

/** Friendship (reachability) of LINE users, on their links. */
export const friendshipStore = /* @__PURE__ */ once(
  () =>
    new DynamoFriendshipStore(documentClient(), {
      messaging: tableName('messaging'),
      links: tableName('links'),
    }),
);

/** Account-link nonces (pattern 4). */
export const accountLinkNonces = /* @__PURE__ */ once(
  () => new DynamoAccountLinkNonceStore(documentClient(), tableName('messaging')),
);

/**
 * The linking URL of pattern 4, offered only where `GET /account-link/start` is deployed
 * (API_ROUTES lists the deployed routes, empty locally where every route runs): a deployment
 * with the Messaging API channel but without pattern 4 still learns reachability and never
 * sends a link that would answer 404.
 */
const accountLinkStartUrl = (): string | undefined => {
  const deployed = loadDeployedRoutes();
  const accountLink = deployed.length === 0 || deployed.includes('GET /account-link/start');
  return accountLink ? `${loadPublicBaseUrl()}/account-link/start` : undefined;
};

/** Webhook events, each committed with its claim (the messaging table) and its effects. */
export const webhookEventLog = /* @__PURE__ */ once(
  () =>
    new DynamoWebhookEventLog(documentClient(), {
      messagingTable: tableName('messaging'),
      linksTable: tableName('links'),
      auditWrite: (event) => auditLog().eventWrite(event),
      linkWrites: auditLog().transactionWrites(),
    }),
);

/** Link tokens the bot issued, with their LINE users (pattern 4 binds its nonce to that user). */
export const linkTokenDirectory = /* @__PURE__ */ once(
  () => new DynamoLinkTokenDirectory(documentClient(), tableName('messaging')),
);

/** What the webhook worker needs to do one event's LINE work. */
export const webhookWorkPorts = /* @__PURE__ */ once((): WebhookWorkPorts => ({
  events: webhookEventLog(),
  messaging: messagingApi(),
  linkTokens: linkTokenDirectory(),
  clock: systemClock,
  settings: {
    ...(accountLinkStartUrl() ? { accountLinkStartUrl: accountLinkStartUrl() } : {}),
    // LINE's link tokens are valid for 10 minutes
    // (https://developers.line.biz/en/reference/messaging-api/#issue-link-token).
    linkTokenTtlSeconds: 600,
  },
}));

/** SQS when WEBHOOK_QUEUE_URL is set (the cloud); otherwise the work runs in this process after the answer. */
export const webhookWorkQueue = /* @__PURE__ */ once((): WebhookWorkQueue => {
  const url = loadWebhookQueueUrl();
  if (url) return new SqsWebhookWorkQueue(new SQSClient({}), url);
  return new InProcessWebhookWorkQueue(
    (work) => runWebhookWork(work, webhookWorkPorts()),
    (error, work) =>
      logger.error('webhook work failed', {
        webhookEventId: work.webhookEventId,
        kind: work.kind,
        ...errorFields(error),
      }),
  );
});

/**
 * The bot's user ID, the `destination` of its webhook deliveries: LINE_BOT_USER_ID, or learned
 * from LINE (`GET /v2/bot/info`) in the background, once per execution environment, from the
 * first delivery on (never awaited by one). Until it is known (or while LINE cannot tell, asked
 * again at the next delivery), deliveries are not checked for it: their signature already proves
 * they were sent with our channel's secret.
 */
export const botUserId = /* @__PURE__ */ once((): { current(): string | undefined } => {
  const configured = messagingConfig().botUserId;
  if (configured) return { current: () => configured };
  let learned: string | undefined;
  let asked = false;
  return {
    current: () => {
      // Asked at the first delivery, inside an invocation (not at module load: no call outside one).
      if (!asked) {
        asked = true;
        messagingApi()
          .botUserId()
          .then(
            (id) => {
              learned = id;
            },
            (error: unknown) => {
              asked = false;
              logger.warn('bot user ID not learned from LINE', errorFields(error));
            },
          );
      }
      return learned;
    },
  };
});

/** Everything `POST /webhook/line` needs. */
export const lineWebhookPorts = /* @__PURE__ */ once((): LineWebhookPorts => {
  const config = messagingConfig();
  const startUrl = accountLinkStartUrl();
  return {
    links: linkRepository(),
    audit: auditLog(),
    clock: systemClock,
    events: webhookEventLog(),
    friendship: friendshipStore(),
    nonces: accountLinkNonces(),
    work: webhookWorkQueue(),
    settings: {
      ...(startUrl ? { accountLinkStartUrl: startUrl } : {}),
      linkKeywords: config.linkKeywords,
      linkPostbackData: config.linkPostbackData,
      unlinkOnUnfollow: config.unlinkOnUnfollow,
      webhookEventTtlSeconds: config.webhookEventTtlSeconds,
      nonceTtlSeconds: config.nonceTtlSeconds,
      clockSkewSeconds: config.clockSkewSeconds,
    },
  };
});

/** LINE's friendship status API, asked with the user's own access token when a link is made with it. */
export const friendshipStatusApi = /* @__PURE__ */ once(
  (): FriendshipStatusApi =>
    new LineFriendshipClient({ apiBase: lineApi().apiBase, timeoutMs: lineApi().timeoutMs }),
);

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
      channelId: lineConfig().loginChannelId,
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

/** Messaging API channel access tokens (stateless, cached). */
export const messagingChannelTokens = /* @__PURE__ */ once(
  () =>
    new LineChannelTokenClient({
      apiBase: lineApi().apiBase,
      channelId: messagingConfig().channelId,
      channelSecret: messagingChannelSecret,
      timeoutMs: lineApi().timeoutMs,
    }),
);

/** MESSAGE_QUEUE_URL (SQS in the cloud) and MESSAGE_SEND_TIMEOUT_MS. */
export const messageSendConfig = /* @__PURE__ */ once(() => loadMessageSendConfig());

/** Multicast with retry keys and back-off. */
export const multicastSender = /* @__PURE__ */ once(
  () =>
    new LineMulticastClient({
      tokens: messagingChannelTokens(),
      timeoutMs: messageSendConfig().timeoutMs,
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
  const url = messageSendConfig().queueUrl;
  if (url) return new SqsJobQueue(new SQSClient({}), url);
  return new InProcessJobQueue((ref) => runMessageBatch(ref, messageBatchPorts()));
});
