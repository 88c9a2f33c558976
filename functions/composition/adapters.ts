import { hkdfSync } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import { cachedPromise } from '../adapters/cached-promise.js';
import { CompanyVerificationApiClient } from '../adapters/company/company-verification-api-client.js';
import { OidcCompanyVerifier } from '../adapters/company/oidc-company-verifier.js';
import { OidcAccessTokenVerifier } from '../adapters/company/oidc-access-token-verifier.js';
import { OidcWebLoginClient } from '../adapters/company/oidc-web-login-client.js';
import { cryptoRandom } from '../adapters/crypto/crypto-random.js';
import { HmacFactorHasher } from '../adapters/crypto/hmac-factor-hasher.js';
import { createPseudonymizer } from '../adapters/crypto/hmac-pseudonymizer.js';
import { DynamoAttemptLimiter, DynamoAttemptUnlocker } from '../adapters/dynamo/dynamo-attempt-limiter.js';
import { DynamoAudienceJobStore } from '../adapters/dynamo/dynamo-audience-job-store.js';
import { DynamoAuditLog } from '../adapters/dynamo/dynamo-audit-log.js';
import { createDocumentClient } from '../adapters/dynamo/dynamo-client.js';
import { DynamoIdempotencyStore } from '../adapters/dynamo/dynamo-idempotency-store.js';
import { DynamoLinkRepository } from '../adapters/dynamo/dynamo-link-repository.js';
import { DynamoLinkNonceStore } from '../adapters/dynamo/dynamo-link-nonce-store.js';
import { DynamoLinkRichMenuRecords } from '../adapters/dynamo/dynamo-link-rich-menu-records.js';
import { DynamoLoginSessionStore } from '../adapters/dynamo/dynamo-login-session-store.js';
import { DynamoMemberRepository } from '../adapters/dynamo/dynamo-member-repository.js';
import { DynamoMessageJobStore } from '../adapters/dynamo/dynamo-message-job-store.js';
import {
  DynamoAccountLinkNonceStore,
  DynamoFriendshipStore,
  DynamoLinkTokenDirectory,
  DynamoWebhookEventLog,
} from '../adapters/dynamo/dynamo-messaging-stores.js';
import { DynamoPersonalDataEraser } from '../adapters/dynamo/dynamo-personal-data-eraser.js';
import { importClientPrivateKey, type ClientAuthentication } from '../adapters/http/oauth-client.js';
import { LineAudienceClient } from '../adapters/line/line-audience-client.js';
import { CachedLineTokenVerifier } from '../adapters/line/cached-line-token-verifier.js';
import { LineChannelTokenClient } from '../adapters/line/line-channel-token-client.js';
import { LineDeauthorizeClient } from '../adapters/line/line-deauthorize-client.js';
import { LineFriendshipClient } from '../adapters/line/line-friendship-client.js';
import { LineMessagingClient } from '../adapters/line/line-messaging-client.js';
import { LineMulticastClient } from '../adapters/line/line-multicast-client.js';
import { LineRichMenuClient } from '../adapters/line/line-rich-menu-client.js';
import { LinePlatformClient } from '../adapters/line/line-platform-client.js';
import { LineWebLoginClient } from '../adapters/line/line-web-login-client.js';
import { InProcessJobQueue, SqsJobQueue } from '../adapters/queue/job-queues.js';
import { InProcessWebhookWorkQueue, SqsWebhookWorkQueue } from '../adapters/queue/webhook-work-queues.js';
import { SecretReader } from '../adapters/secrets/secret-reader.js';
import type {
  CompanyAccessTokenVerifier,
  FriendshipStatusApi,
  JobQueue,
  WebhookWorkQueue,
} from '../core/ports/index.js';
import { systemClock } from '../core/ports/index.js';
import { runAudienceJob, type RunAudienceJobPorts } from '../core/use-cases/audience-jobs.js';
import type { GuardedMemberLinkPorts } from '../core/use-cases/guarded-member-link.js';
import type { LineWebhookPorts } from '../core/use-cases/handle-line-webhook.js';
import type { WebLoginPorts } from '../core/use-cases/link-by-web-login.js';
import { runMessageBatch, type RunMessageBatchPorts } from '../core/use-cases/message-jobs.js';
import { runWebhookWork, type WebhookWorkPorts } from '../core/use-cases/run-webhook-work.js';
import type { DeauthorizePorts } from '../core/use-cases/unlink-me.js';
import { logAttempt } from '../handlers/http/member-link-request.js';
import { errorFields } from '../observability/error-fields.js';
import { logger, runAsInvocationOf } from '../observability/logger.js';
import { traceAwsClient } from '../observability/tracing.js';
import { perWiring, type Wiring } from './wiring.js';

/**
 * The adapters the handlers plug into their use cases, each built once per wiring on first use
 * (the composition roots build their handlers at cold start, so configuration errors fail the
 * cold start, and caches such as JWKS survive across invocations). Every builder is its own
 * top-level function: a function's bundle holds only those its handler's builder reaches.
 */

/** The secrets of the wiring's environment, each read once (a failed read is retried). */
export const secretReader = /* @__PURE__ */ perWiring((w) => new SecretReader(w.env));

export const documentClient = /* @__PURE__ */ perWiring((w) =>
  traceAwsClient(createDocumentClient(w.config.dynamo)),
);

export const linePlatform = /* @__PURE__ */ perWiring((w) => new LinePlatformClient(w.config.line));

/**
 * What handlers verify `Authorization: Bearer` with: the LINE client behind a verified-token
 * cache, so a LIFF app's repeated ID token is verified once and an access token does not cost
 * two calls to LINE on every request.
 */
export const lineVerifier = /* @__PURE__ */ perWiring(
  (w) =>
    new CachedLineTokenVerifier(linePlatform(w), {
      channelIds: w.config.line.channelIds,
      ...w.config.lineTokenCache,
    }),
);

export const companyVerifier = /* @__PURE__ */ perWiring((w) => {
  const { issuer, clientId, timeoutMs } = w.config.companyOidc;
  return new OidcCompanyVerifier({ issuer, clientId, timeoutMs });
});

/**
 * Company access tokens of `POST /links` (COMPANY_ACCESS_TOKEN_CHECK), checked at the IdP with
 * the ID token verifier's discovery and keys; undefined where they are turned off.
 */
export const companyAccessTokenVerifier = /* @__PURE__ */ perWiring(
  (w): CompanyAccessTokenVerifier | undefined => {
    const { check, tokenAuthMethod } = w.config.companyAccessToken;
    if (check === 'off') return undefined;
    const { clientId, timeoutMs } = w.config.companyOidc;
    return new OidcAccessTokenVerifier({
      clientId,
      check,
      clientAuthentication: companyClientAuthentication(w, tokenAuthMethod),
      verifier: companyVerifier(w),
      timeoutMs,
    });
  },
);

/** Nonces of `POST /links/nonce` (the sessions table). */
export const linkNonceStore = /* @__PURE__ */ perWiring(
  (w) => new DynamoLinkNonceStore(documentClient(w), w.config.tables.sessions),
);

/** The audit trail: records events and serves a user's history. */
export const auditLog = /* @__PURE__ */ perWiring(
  (w) =>
    new DynamoAuditLog(documentClient(w), w.config.tables.audit, systemClock, {
      retentionDays: w.config.auditRetentionDays,
    }),
);

/**
 * Links; every link and unlink writes its audit event in the same transaction, and a new link
 * takes over the user's friendship (the messaging table's) in it.
 */
export const linkRepository = /* @__PURE__ */ perWiring(
  (w) =>
    new DynamoLinkRepository(
      documentClient(w),
      w.config.tables.links,
      auditLog(w).transactionWrites(),
      w.config.tables.messaging,
      w.config.tables.sessions,
    ),
);

/** LINE's friendship status API, asked with the user's own access token when a link is made with it. */
export const friendshipStatusApi = /* @__PURE__ */ perWiring(
  (w): FriendshipStatusApi => new LineFriendshipClient(w.config.lineApi),
);

// ------------------------------------------------------------------ member data (patterns 2 and 3)

/** Attempt counters against guessing, shared by `/links/by-record` and `/links/by-api`. */
export const attemptLimiter = /* @__PURE__ */ perWiring(
  (w) => new DynamoAttemptLimiter(documentClient(w), w.config.tables.attempts, w.config.attempts),
);

/** Imported member records (pattern 3). */
export const memberRepository = /* @__PURE__ */ perWiring(
  (w) => new DynamoMemberRepository(documentClient(w), w.config.tables.members),
);

/** HMAC of factors with the pepper (read once, from the environment or Secrets Manager). */
export const factorHasher = /* @__PURE__ */ perWiring(
  (w) =>
    new HmacFactorHasher(secretReader(w).cached('MEMBER_HASH_PEPPER'), {
      minPepperLength: w.config.memberHashPepper.minLength,
    }),
);

/** The company's member verification API (pattern 2); its access token is cached here. */
export const companyApi = /* @__PURE__ */ perWiring((w) => {
  const config = w.config.companyApi;
  const secretName = config.auth === 'oauth' ? 'COMPANY_API_CLIENT_SECRET' : 'COMPANY_API_KEY';
  return new CompanyVerificationApiClient({ config, secret: () => secretReader(w).read(secretName) });
});

/** The ports both member-data routes share. */
export const guardedMemberLinkPorts = /* @__PURE__ */ perWiring((w): GuardedMemberLinkPorts => ({
  line: lineVerifier(w),
  links: linkRepository(w),
  audit: auditLog(w),
  clock: systemClock,
  attempts: attemptLimiter(w),
  requiredFactors: w.config.memberFactors,
  observe: logAttempt,
  ...w.config.memberAnswerTiming,
}));

// ------------------------------------------------------------------ web flow (docs/web-flow.md)

/** The company token endpoint credential for COMPANY_OIDC_TOKEN_AUTH_METHOD, read and imported once. */
function companyClientAuthentication(
  w: Wiring,
  method = w.config.web.company.tokenAuthMethod,
): () => Promise<ClientAuthentication> {
  return cachedPromise(async (): Promise<ClientAuthentication> =>
    method === 'private_key_jwt'
      ? {
          method,
          privateKey: await importClientPrivateKey(
            await secretReader(w).cached('COMPANY_OIDC_PRIVATE_KEY')(),
          ),
        }
      : { method, clientSecret: await secretReader(w).cached('COMPANY_OIDC_CLIENT_SECRET')() },
  );
}

/** Everything the web flow's use cases need. */
export const webLoginPorts = /* @__PURE__ */ perWiring((w): WebLoginPorts => {
  const web = w.config.web;
  const line = w.config.line;
  const company = w.config.companyOidc;
  return {
    sessions: new DynamoLoginSessionStore(documentClient(w), w.config.tables.sessions),
    lineLogin: new LineWebLoginClient({
      channelId: line.loginChannelId,
      authBase: line.authBase,
      apiBase: line.apiBase,
      issuer: line.issuer,
      channelSecret: secretReader(w).cached('LINE_CHANNEL_SECRET'),
      platform: linePlatform(w),
      authorizeOptions: web.line,
      timeoutMs: line.timeoutMs,
    }),
    companyLogin: new OidcWebLoginClient({
      clientId: company.clientId,
      clientAuthentication: companyClientAuthentication(w),
      scope: web.company.scope,
      maxAge: w.config.companyOidcMaxAge,
      verifier: companyVerifier(w),
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

/** Messaging API channel access tokens (stateless, cached). */
export const messagingChannelTokens = /* @__PURE__ */ perWiring(
  (w) =>
    new LineChannelTokenClient({
      apiBase: w.config.lineApi.apiBase,
      channelId: w.config.messaging.channelId,
      channelSecret: secretReader(w).cached('LINE_MESSAGING_CHANNEL_SECRET'),
      timeoutMs: w.config.lineApi.timeoutMs,
    }),
);

/** The Messaging API client; caches its channel access token per execution environment. */
export const messagingApi = /* @__PURE__ */ perWiring(
  (w) =>
    new LineMessagingClient({
      tokens: messagingChannelTokens(w),
      timeoutMs: w.config.lineApi.timeoutMs,
    }),
);

/** Friendship (reachability) of LINE users, on their links. */
export const friendshipStore = /* @__PURE__ */ perWiring(
  (w) =>
    new DynamoFriendshipStore(documentClient(w), {
      messaging: w.config.tables.messaging,
      links: w.config.tables.links,
    }),
);

/** Account-link nonces (pattern 4). */
export const accountLinkNonces = /* @__PURE__ */ perWiring(
  (w) => new DynamoAccountLinkNonceStore(documentClient(w), w.config.tables.messaging),
);

/**
 * The linking URL of pattern 4, offered only where `GET /account-link/start` is deployed
 * (API_ROUTES lists the deployed routes, empty locally where every route runs): a deployment
 * with the Messaging API channel but without pattern 4 still learns reachability and never
 * sends a link that would answer 404.
 */
function accountLinkStartUrl(w: Wiring): string | undefined {
  const deployed = w.config.deployedRoutes;
  const accountLink = deployed.length === 0 || deployed.includes('GET /account-link/start');
  return accountLink ? `${w.config.publicBaseUrl}/account-link/start` : undefined;
}

/** Webhook events, each committed with its claim (the messaging table) and its effects. */
export const webhookEventLog = /* @__PURE__ */ perWiring(
  (w) =>
    new DynamoWebhookEventLog(documentClient(w), {
      messagingTable: w.config.tables.messaging,
      linksTable: w.config.tables.links,
      auditWrite: (event) => auditLog(w).eventWrite(event),
      linkWrites: auditLog(w).transactionWrites(),
    }),
);

/** Link tokens the bot issued, with their LINE users (pattern 4 binds its nonce to that user). */
export const linkTokenDirectory = /* @__PURE__ */ perWiring(
  (w) => new DynamoLinkTokenDirectory(documentClient(w), w.config.tables.messaging),
);

/** What the webhook worker needs to do one event's LINE work. */
export const webhookWorkPorts = /* @__PURE__ */ perWiring((w): WebhookWorkPorts => {
  const startUrl = accountLinkStartUrl(w);
  return {
    events: webhookEventLog(w),
    messaging: messagingApi(w),
    linkTokens: linkTokenDirectory(w),
    clock: systemClock,
    settings: {
      ...(startUrl ? { accountLinkStartUrl: startUrl } : {}),
      // LINE's link tokens are valid for 10 minutes
      // (https://developers.line.biz/en/reference/messaging-api/#issue-link-token).
      linkTokenTtlSeconds: 600,
      texts: w.config.messaging.botTexts,
    },
  };
});

/** SQS when WEBHOOK_QUEUE_URL is set (the cloud); otherwise the work runs in this process after the answer. */
export const webhookWorkQueue = /* @__PURE__ */ perWiring((w): WebhookWorkQueue => {
  const url = w.queues === 'sqs' ? w.config.webhookQueueUrl : undefined;
  if (url) return new SqsWebhookWorkQueue(new SQSClient({}), url);
  return new InProcessWebhookWorkQueue((work) =>
    runAsInvocationOf('webhook-work-sqs', async () => {
      try {
        await runWebhookWork(work, webhookWorkPorts(w));
      } catch (error) {
        logger.error('webhook work failed', {
          webhookEventId: work.webhookEventId,
          kind: work.kind,
          ...errorFields(error),
        });
      }
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
export const botUserId = /* @__PURE__ */ perWiring((w): { current(): string | undefined } => {
  const configured = w.config.messaging.botUserId;
  if (configured) return { current: () => configured };
  let learned: string | undefined;
  let asked = false;
  return {
    current: () => {
      // Asked at the first delivery, inside an invocation (not at cold start: no call outside one).
      if (!asked) {
        asked = true;
        messagingApi(w)
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
export const lineWebhookPorts = /* @__PURE__ */ perWiring((w): LineWebhookPorts => {
  const config = w.config.messaging;
  const startUrl = accountLinkStartUrl(w);
  return {
    links: linkRepository(w),
    audit: auditLog(w),
    clock: systemClock,
    events: webhookEventLog(w),
    friendship: friendshipStore(w),
    nonces: accountLinkNonces(w),
    work: webhookWorkQueue(w),
    settings: {
      ...(startUrl ? { accountLinkStartUrl: startUrl } : {}),
      linkKeywords: config.linkKeywords,
      linkPostbackData: config.linkPostbackData,
      unlinkKeywords: config.unlinkKeywords,
      unlinkPostbackData: config.unlinkPostbackData,
      texts: config.botTexts,
      unlinkOnUnfollow: config.unlinkOnUnfollow,
      webhookEventTtlSeconds: config.webhookEventTtlSeconds,
      nonceTtlSeconds: config.nonceTtlSeconds,
      clockSkewSeconds: config.clockSkewSeconds,
    },
  };
});

// ------------------------------------------------------------------ admin API (IAM-authorized)

/** Ports of the admin lookups. */
export const adminLinkPorts = /* @__PURE__ */ perWiring((w) => ({
  links: linkRepository(w),
  audit: auditLog(w),
  clock: systemClock,
}));

/**
 * Pseudonyms of erased identifiers in the audit trail: keyed with a key derived from the member
 * hashing pepper (HKDF, RFC 5869, with its own label), so no extra secret is needed and the key
 * is as stable as the pepper itself.
 */
function auditPseudonymizer(w: Wiring): () => Promise<(id: string) => string> {
  return cachedPromise(async () =>
    createPseudonymizer(
      Buffer.from(
        hkdfSync(
          'sha256',
          await secretReader(w).read('MEMBER_HASH_PEPPER'),
          '',
          'line-id-link audit pseudonyms',
          32,
        ),
      ).toString('hex'),
    ),
  );
}

/** Ports of the admin unlink (and erasure). */
export const adminUnlinkPorts = /* @__PURE__ */ perWiring((w) => ({
  ...adminLinkPorts(w),
  eraser: new DynamoPersonalDataEraser({
    client: documentClient(w),
    tables: w.config.tables,
    pseudonymizer: auditPseudonymizer(w),
  }),
}));

/** Ports of the admin unlock. */
export const adminUnlockPorts = /* @__PURE__ */ perWiring((w) => ({
  attempts: new DynamoAttemptUnlocker(documentClient(w), w.config.tables.attempts),
  audit: auditLog(w),
  clock: systemClock,
}));

// ------------------------------------------------------------------ deauthorize on unlink

/** Deauthorize at LINE after an unlink, audited (LINE Login channel access tokens, cached). */
export const deauthorizePorts = /* @__PURE__ */ perWiring((w): DeauthorizePorts => {
  const line = w.config.line;
  return {
    deauthorizer: new LineDeauthorizeClient({
      apiBase: line.apiBase,
      tokens: new LineChannelTokenClient({
        apiBase: line.apiBase,
        channelId: line.loginChannelId,
        channelSecret: secretReader(w).cached('LINE_CHANNEL_SECRET'),
        timeoutMs: line.timeoutMs,
      }),
      timeoutMs: line.timeoutMs,
    }),
    channelId: line.loginChannelId,
    audit: auditLog(w),
    clock: systemClock,
  };
});

// ------------------------------------------------------------------ messages to members

/** Multicast with retry keys and back-off. */
export const multicastSender = /* @__PURE__ */ perWiring(
  (w) =>
    new LineMulticastClient({
      tokens: messagingChannelTokens(w),
      timeoutMs: w.config.messageSend.timeoutMs,
    }),
);

export const messageJobStore = /* @__PURE__ */ perWiring(
  (w) => new DynamoMessageJobStore(documentClient(w), w.config.tables.jobs),
);

/** What the worker needs to send one batch. */
export const messageBatchPorts = /* @__PURE__ */ perWiring((w): RunMessageBatchPorts => ({
  jobs: messageJobStore(w),
  links: linkRepository(w),
  sender: multicastSender(w),
}));

/** SQS when MESSAGE_QUEUE_URL is set (the cloud); otherwise the batches run in this process. */
export const messageQueue = /* @__PURE__ */ perWiring((w): JobQueue => {
  const url = w.queues === 'sqs' ? w.config.messageSend.queueUrl : undefined;
  if (url) return new SqsJobQueue(new SQSClient({}), url);
  return new InProcessJobQueue((ref) =>
    runAsInvocationOf('messages-batch-sqs', async () => {
      try {
        await runMessageBatch(ref, messageBatchPorts(w));
      } catch (error) {
        logger.error('message batch failed', { jobId: ref.jobId, batch: ref.batch, ...errorFields(error) });
      }
    }),
  );
});

/** Idempotency keys of `POST /admin/messages` and `POST /admin/audiences`, beside the jobs they start (one transaction writes both). */
export const messageIdempotency = /* @__PURE__ */ perWiring(
  (w) => new DynamoIdempotencyStore(documentClient(w), w.config.tables.jobs),
);

// ------------------------------------------------------------------ rich menus by link status

/** Per-user rich menus at LINE (the Messaging API channel's tokens). */
export const richMenuClient = /* @__PURE__ */ perWiring(
  (w) =>
    new LineRichMenuClient({
      tokens: messagingChannelTokens(w),
      dataBase: w.config.richMenus.dataBase,
      timeoutMs: w.config.lineApi.timeoutMs,
    }),
);

/** The menu each link was brought to, on the link's LINE side. */
export const linkRichMenuRecords = /* @__PURE__ */ perWiring(
  (w) => new DynamoLinkRichMenuRecords(documentClient(w), w.config.tables.links),
);

// ------------------------------------------------------------------ audiences from links

/** Audience jobs, beside the message jobs (their own key prefix). */
export const audienceJobStore = /* @__PURE__ */ perWiring(
  (w) => new DynamoAudienceJobStore(documentClient(w), w.config.tables.jobs),
);

/** LINE's audience upload endpoints, with the Messaging API channel's tokens and back-off. */
export const audienceApi = /* @__PURE__ */ perWiring(
  (w) =>
    new LineAudienceClient({
      apiBase: w.config.lineApi.apiBase,
      tokens: messagingChannelTokens(w),
      timeoutMs: w.config.messageSend.timeoutMs,
    }),
);

/** What the worker needs to run an audience job. */
export const audienceJobPorts = /* @__PURE__ */ perWiring((w): RunAudienceJobPorts => ({
  jobs: audienceJobStore(w),
  links: linkRepository(w),
  audiences: audienceApi(w),
  audit: auditLog(w),
  clock: systemClock,
}));

/** SQS when AUDIENCE_QUEUE_URL is set (the cloud); otherwise jobs run in this process. */
export const audienceQueue = /* @__PURE__ */ perWiring((w): JobQueue => {
  const url = w.queues === 'sqs' ? w.config.audienceQueueUrl : undefined;
  if (url) return new SqsJobQueue(new SQSClient({}), url);
  return new InProcessJobQueue((ref) =>
    runAsInvocationOf('audience-jobs-sqs', async () => {
      try {
        await runAudienceJob(ref, audienceJobPorts(w));
      } catch (error) {
        logger.error('audience job failed', { jobId: ref.jobId, ...errorFields(error) });
      }
    }),
  );
});
