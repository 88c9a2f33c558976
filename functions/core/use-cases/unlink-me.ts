import type { Link } from '../link.js';
import type {
  AuditLog,
  Clock,
  LineDeauthorizer,
  LineIdentityVerifier,
  LinkRepository,
} from '../ports/index.js';

/** What deauthorizing needs; without it, {@link unlinkMe} only unlinks. */
export interface DeauthorizePorts {
  deauthorizer: LineDeauthorizer;
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
 * Removes the caller's link, both sides at once. Unlinking nothing is not an error (the end
 * state the user asked for holds), so the HTTP layer answers 204 either way.
 *
 * When a link was removed, the app is also deauthorized at LINE (LINE Login development
 * guidelines, "Required matters": https://developers.line.biz/en/docs/line-login/development-guidelines/).
 * That needs the user's LINE access token: with an ID token the audit trail says deauthorize was
 * not possible. The link goes first, so a LINE outage never keeps it alive; deauthorize is tried
 * a bounded number of times and its outcome audited (`deauthorized` / `deauthorize-failed`).
 */
export async function unlinkMe(
  input: { lineToken: string },
  ports: UnlinkMePorts,
): Promise<Link | undefined> {
  const line = await ports.line.verifyBearer(input.lineToken);
  const removed = await ports.links.deleteByLineUserId(line.userId, { channelId: line.channelId });
  const deauth = ports.deauthorize;
  if (!removed || !deauth) return removed;

  let code: 'deauthorized' | 'deauthorize-failed' | 'deauthorize-not-possible' = 'deauthorize-not-possible';
  if (line.via === 'access-token') {
    code = 'deauthorize-failed';
    const attempts = deauth.attempts ?? 3;
    const sleep = deauth.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep((deauth.backoffMs ?? 200) * 2 ** (attempt - 1));
      try {
        await deauth.deauthorizer.deauthorize(input.lineToken);
        code = 'deauthorized';
        break;
      } catch {
        // Tried again below; the outcome is audited either way.
      }
    }
  }
  await deauth.audit.record({
    type: 'deauthorize',
    at: deauth.clock.now().toISOString(),
    lineUserId: line.userId,
    companyUserId: removed.companyUserId,
    code,
  });
  return removed;
}
