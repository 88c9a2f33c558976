import type { Context } from 'aws-lambda';
import type { Env } from '../config.js';
import { webhookWorkQueue } from '../composition/adapters.js';
import { accountLinkStartGet } from '../composition/handlers/account-link-start-get.js';
import { adminAudiencesJobGet } from '../composition/handlers/admin-audiences-job-get.js';
import { adminAudiencesPost } from '../composition/handlers/admin-audiences-post.js';
import { adminLinksCompanyGet } from '../composition/handlers/admin-links-company-get.js';
import { adminLinksLineGet } from '../composition/handlers/admin-links-line-get.js';
import { adminLinksUnlinkPost } from '../composition/handlers/admin-links-unlink-post.js';
import { adminMembersUnlockPost } from '../composition/handlers/admin-members-unlock-post.js';
import { adminMessagesJobGet } from '../composition/handlers/admin-messages-job-get.js';
import { adminMessagesPost } from '../composition/handlers/admin-messages-post.js';
import { audienceJobsSqs } from '../composition/handlers/audience-jobs-sqs.js';
import { authCompanyCallbackGet } from '../composition/handlers/auth-company-callback-get.js';
import { authCompanyStartPost } from '../composition/handlers/auth-company-start-post.js';
import { authLineCallbackGet } from '../composition/handlers/auth-line-callback-get.js';
import { authLineLoginGet } from '../composition/handlers/auth-line-login-get.js';
import { fallback } from '../composition/handlers/fallback.js';
import { health } from '../composition/handlers/health.js';
import { linksByApiPost } from '../composition/handlers/links-by-api-post.js';
import { linksByRecordPost } from '../composition/handlers/links-by-record-post.js';
import { linksMeDelete } from '../composition/handlers/links-me-delete.js';
import { linksMeGet } from '../composition/handlers/links-me-get.js';
import { linksMeHistoryGet } from '../composition/handlers/links-me-history-get.js';
import { linksPost } from '../composition/handlers/links-post.js';
import { linksStream } from '../composition/handlers/links-stream.js';
import { membersImportS3 } from '../composition/handlers/members-import-s3.js';
import { messagesBatchSqs } from '../composition/handlers/messages-batch-sqs.js';
import { richMenuStream } from '../composition/handlers/rich-menu-stream.js';
import { webhookLinePost } from '../composition/handlers/webhook-line-post.js';
import { webhookWorkSqs } from '../composition/handlers/webhook-work-sqs.js';
import { linksNoncePost } from '../composition/handlers/links-nonce-post.js';
import { createWiring, type Wiring } from '../composition/wiring.js';
import { InProcessWebhookWorkQueue } from '../adapters/queue/webhook-work-queues.js';
import { configureLogger, runInvocation } from '../observability/logger.js';
import { configureMetrics } from '../observability/settings.js';

/** A function's handler as a runtime invokes it. */
export type SourceHandler = (event: never, context: Context) => Promise<unknown>;

/** The builder of each function's handler, by its manifest name. */
const BUILDERS: Record<string, (wiring: Wiring) => SourceHandler> = {
  'account-link-start-get': accountLinkStartGet,
  'admin-links-company-get': adminLinksCompanyGet,
  'admin-links-line-get': adminLinksLineGet,
  'admin-links-unlink-post': adminLinksUnlinkPost,
  'admin-members-unlock-post': adminMembersUnlockPost,
  'admin-messages-job-get': adminMessagesJobGet,
  'admin-messages-post': adminMessagesPost,
  'auth-company-callback-get': authCompanyCallbackGet,
  'auth-company-start-post': authCompanyStartPost,
  'auth-line-callback-get': authLineCallbackGet,
  'auth-line-login-get': authLineLoginGet,
  fallback: fallback,
  health: health,
  'links-by-api-post': linksByApiPost,
  'links-by-record-post': linksByRecordPost,
  'links-me-delete': linksMeDelete,
  'links-me-get': linksMeGet,
  'links-me-history-get': linksMeHistoryGet,
  'links-post': linksPost,
  'links-stream': linksStream,
  'members-import-s3': membersImportS3,
  'messages-batch-sqs': messagesBatchSqs,
  'rich-menu-stream': richMenuStream,
  'webhook-line-post': webhookLinePost,
  'webhook-work-sqs': webhookWorkSqs,
  'links-nonce-post': linksNoncePost,
  'admin-audiences-post': adminAudiencesPost,
  'admin-audiences-job-get': adminAudiencesJobGet,
  'audience-jobs-sqs': audienceJobsSqs,
};

/** The functions the local root can build, by manifest name (a test holds it to the manifest). */
export const SOURCE_FUNCTIONS: readonly string[] = Object.keys(BUILDERS);

/** Options of {@link createSourceHandlers}. */
export interface SourceHandlersOptions {
  /** Where the functions' log entries go, one JSON line each (default: stdout, as in Lambda). */
  logOutput?: (line: string) => void;
}

/** The service's handlers from the source, for one local server (see {@link createSourceHandlers}). */
export interface SourceHandlers {
  /** Function `name`'s handler (its manifest name), built on its first request like a cold start. */
  handler(name: string): SourceHandler;
  /** The wiring the handlers share, made from the environment at the first request. */
  wiring(): Wiring;
  /** Waits until the LINE work the webhook queued so far has run (the in-process queue). */
  webhookWorkIdle(): Promise<void>;
}

/**
 * The local composition root: the handlers of functions/handlers/ built from an explicit
 * environment map, as `npm start` and the integration tests serve them. Queued work (webhook
 * replies, message batches) runs in this process after the answer. The map is read when the
 * first handler is built (a function, to take what was set after the server started), and a
 * handler that fails to build (a missing setting) fails that request and is built again on the
 * next, as a Lambda cold start is retried.
 *
 * Each invocation logs through a logger of its own (observability/logger.ts `runInvocation`),
 * as if its function ran alone in its execution environment: its entries carry its function's
 * name and its own request ID however many requests run at once.
 */
export function createSourceHandlers(
  env: Env | (() => Env),
  options: SourceHandlersOptions = {},
): SourceHandlers {
  let made: Wiring | undefined;
  const wiring = (): Wiring => {
    if (!made) {
      const next = createWiring(typeof env === 'function' ? env() : env, 'in-process');
      const observability = next.config.observability;
      configureLogger({ ...observability, output: options.logOutput });
      configureMetrics(observability);
      made = next;
    }
    return made;
  };
  const built = new Map<string, SourceHandler>();
  return {
    handler: (name) => {
      let handler = built.get(name);
      if (!handler) {
        const builder = BUILDERS[name];
        if (!builder)
          throw new Error(`No builder for function ${name} in functions/local/source-handlers.ts.`);
        const inner = builder(wiring());
        let invoked = false;
        handler = (event, context) => {
          const coldStart = !invoked;
          invoked = true;
          return runInvocation(() => inner(event, context), { coldStart });
        };
        built.set(name, handler);
      }
      return handler;
    },
    wiring,
    webhookWorkIdle: async () => {
      const queue = webhookWorkQueue(wiring());
      if (queue instanceof InProcessWebhookWorkQueue) await queue.idle();
    },
  };
}
