import type { Link, LineIdentity } from '../link.js';
import type {
  AuditEvent,
  AuditLog,
  Clock,
  LineDeauthorizer,
  LineIdentityVerifier,
  LinkRepository,
} from '../ports/index.js';

/** What deauthorizing needs; without it, {@link unlinkMe} only unlinks. */
export interface DeauthorizePorts {
  deauthorizer: LineDeauthorizer;
  /**
   * The LINE Login channel whose channel access token the deauthorizer uses. LINE deauthorizes
   * a user access token only with a channel access token of the channel that issued it
   * (https://developers.line.biz/en/reference/line-login/#deauthorize), so a token of any other
   * channel (another LIFF app's, a LINE MINI App's) is not sent at all.
   */
  channelId: string;
  audit: AuditLog;
  clock: Clock;
  /** Tries in all (default 3), with `backoffMs` doubling between them (default 200 ms). */
  attempts?: number;
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Ports of {@link unlinkMe}. */
export interface UnlinkMePorts {
  line: LineIdentityVerifier;
  links: LinkRepository;
  deauthorize?: DeauthorizePorts;
}

/**
 * What came of the deauthorize that follows every unlink: done, failed at LINE, or not possible
 * (no user access token at hand, or one of a channel whose credentials the service does not hold).
 */
export type DeauthorizeCode = 'deauthorized' | 'deauthorize-failed' | 'deauthorize-not-possible';

/** Why a deauthorize was not possible (the audit event's `detail`). */
export type DeauthorizeNotPossible =
  /** The unlink came with no user access token: an ID token, the chat, the admin API, an unfollow. */
  | 'no-access-token'
  /** The access token was issued for a channel whose channel access token the service cannot get. */
  | 'channel-not-configured';

/** What {@link unlinkMe} did. */
export interface UnlinkMeResult {
  /** The link removed; undefined when there was none. */
  link?: Link;
  /** Only when a link was removed. */
  deauthorize?: DeauthorizeCode;
}

/**
 * The `deauthorize` audit event every unlink records, by whichever path it came (the API, the
 * chat, an unfollow, the admin API), so the trail shows for each unlink whether LINE Login's
 * permission was withdrawn.
 */
export function deauthorizeAuditEvent(
  link: Pick<Link, 'lineUserId' | 'companyUserId'>,
  at: string,
  code: DeauthorizeCode,
  detail?: DeauthorizeNotPossible,
): AuditEvent {
  return {
    type: 'deauthorize',
    at,
    lineUserId: link.lineUserId,
    companyUserId: link.companyUserId,
    code,
    ...(detail ? { detail } : {}),
  };
}

/**
 * Removes the caller's link, both sides at once. Unlinking nothing is not an error (the end
 * state the user asked for holds), so the HTTP layer answers 204 either way.
 *
 * When a link was removed, the app is also deauthorized at LINE (LINE Login development
 * guidelines, "Required matters": https://developers.line.biz/en/docs/line-login/development-guidelines/).
 * That needs the user's LINE access token, issued by the LINE Login channel whose credentials
 * the service holds; otherwise (an ID token, another channel's token) the audit trail and the
 * result say deauthorize was not possible. The link goes first, so a LINE outage never keeps it
 * alive; deauthorize is tried a bounded number of times and its outcome audited.
 */
export async function unlinkMe(input: { lineToken: string }, ports: UnlinkMePorts): Promise<UnlinkMeResult> {
  const line = await ports.line.verifyBearer(input.lineToken);
  const removed = await ports.links.deleteByLineUserId(line.userId, { channelId: line.channelId });
  if (!removed) return {};
  const deauth = ports.deauthorize;
  if (!deauth) return { link: removed, deauthorize: 'deauthorize-not-possible' };
  const notPossible = whyNotPossible(line, deauth);
  const code = notPossible ? 'deauthorize-not-possible' : await deauthorize(input.lineToken, deauth);
  await deauth.audit.record(
    deauthorizeAuditEvent(removed, deauth.clock.now().toISOString(), code, notPossible),
  );
  return { link: removed, deauthorize: code };
}

function whyNotPossible(line: LineIdentity, deauth: DeauthorizePorts): DeauthorizeNotPossible | undefined {
  if (line.via !== 'access-token') return 'no-access-token';
  if (line.channelId !== deauth.channelId) return 'channel-not-configured';
  return undefined;
}

async function deauthorize(
  userAccessToken: string,
  deauth: DeauthorizePorts,
): Promise<'deauthorized' | 'deauthorize-failed'> {
  const attempts = deauth.attempts ?? 3;
  const sleep = deauth.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await sleep((deauth.backoffMs ?? 200) * 2 ** (attempt - 1));
    try {
      await deauth.deauthorizer.deauthorize(userAccessToken);
      return 'deauthorized';
    } catch {
      // Tried again below; the outcome is audited either way.
    }
  }
  return 'deauthorize-failed';
}
