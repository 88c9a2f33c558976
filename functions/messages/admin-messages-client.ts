import { signAdminRequest } from '../local/sigv4.js';
import {
  MEMBER_SEND_STATUSES,
  type MemberSendResult,
  type MemberSendStatus,
} from '../core/member-messages.js';

/** AWS credentials to sign with (a session token for temporary ones). */
export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Options of {@link sendThroughAdminApi}. */
export interface AdminMessagesClientOptions {
  /** The API's origin (and stage path, if any): `https://…execute-api.….amazonaws.com` or the dev server. */
  baseUrl: string;
  region: string;
  credentials: () => Promise<SigningCredentials>;
  /** Tries of one request in all (default 8): network errors, 5xx, 429 and a key in progress. */
  maxAttempts?: number;
  /** A request not answered within this is abandoned and tried again (default 35 s: API Gateway gives up at 30 s). */
  timeoutMs?: number;
  /** How often a job is asked for its progress (default 1 s). */
  pollIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Told before each wait for a retry, for the user. */
  onRetry?: (reason: string, waitMs: number) => void;
  /** A job's progress: members done so far, of all. */
  onProgress?: (done: number, total: number) => void;
}

/** What the API answered in the end. */
export interface AdminSendOutcome {
  results: MemberSendResult[];
  /** The job, for more than 500 recipients. */
  jobId?: string;
}

/** The API refused the request (4xx other than a key in progress), or kept failing. */
export class AdminApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'AdminApiError';
  }
}

/**
 * Nothing listens at the API's address (the connection was refused): a dev server that is not
 * running, or a wrong `--api`. Not retried: an API Gateway endpoint never refuses connections.
 */
export class ApiUnreachableError extends AdminApiError {
  constructor(readonly url: string) {
    super(`Nothing answers at ${url} (connection refused).`);
    this.name = 'ApiUnreachableError';
  }
}

/** The header value: an RFC 8941 string, as draft-ietf-httpapi-idempotency-key-header §2.1 writes it. */
export function idempotencyKeyHeader(key: string): string {
  return `"${key.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * `POST /admin/messages` from a terminal: the request signed with AWS Signature V4 and sent
 * with `Idempotency-Key: key`. Every try of it, after a network error, a timeout, a 5xx, a 429
 * or a 409 `idempotency-key-in-progress`, carries the same key and the same body bytes, so the
 * service sends the messages once however many tries it takes; `Retry-After` is honoured. A job
 * (202) is then followed at its `Location` until it is done, and its report read page by page.
 */
export async function sendThroughAdminApi(
  body: string,
  key: string,
  options: AdminMessagesClientOptions,
): Promise<AdminSendOutcome> {
  const first = await callAdminApi(options, 'POST', '/admin/messages', body, {
    'content-type': 'application/json',
    'idempotency-key': idempotencyKeyHeader(key),
  });
  if (first.status === 200) return { results: readResults(first.body) };
  const location =
    first.location ?? `/admin/messages/jobs/${String((first.body as { jobId?: unknown }).jobId)}`;
  const jobId = location.split('/').pop()!;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  for (;;) {
    const job = (await callAdminApi(options, 'GET', location)).body as JobPage;
    const counts = job.counts ?? {};
    options.onProgress?.(
      MEMBER_SEND_STATUSES.reduce((n, s) => n + (counts[s] ?? 0), 0),
      job.total ?? 0,
    );
    if (job.status === 'done') {
      const results = readResults(job);
      for (let cursor = job.nextCursor; cursor !== undefined;) {
        const page = (await callAdminApi(options, 'GET', `${location}?cursor=${encodeURIComponent(cursor)}`))
          .body as JobPage;
        results.push(...readResults(page));
        cursor = page.nextCursor;
      }
      return { results, jobId };
    }
    await sleep(options.pollIntervalMs ?? 1000);
  }
}

interface JobPage {
  status?: string;
  total?: number;
  counts?: Partial<Record<MemberSendStatus, number>>;
  results?: unknown;
  nextCursor?: string;
}

/**
 * One signed admin API request, tried again while the failure is one a retry can get past (the
 * admin clients of `npm run send` and `npm run audience` share it).
 */
export async function callAdminApi(
  options: AdminMessagesClientOptions,
  method: 'GET' | 'POST',
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; location?: string }> {
  const url = `${options.baseUrl.replace(/\/+$/, '')}${path}`;
  const maxAttempts = options.maxAttempts ?? 8;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  for (let attempt = 1; ; attempt++) {
    let reason: string;
    let retryAfterMs: number | undefined;
    try {
      const signed = await signAdminRequest(url, { method, body, headers }, await options.credentials(), {
        region: options.region,
      });
      delete signed.host;
      const response = await fetch(url, {
        method,
        headers: signed,
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 35_000),
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      if (response.ok)
        return {
          status: response.status,
          body: parsed,
          location: response.headers.get('location') ?? undefined,
        };
      const problem = (parsed ?? {}) as { code?: unknown; detail?: unknown; message?: unknown };
      const code = typeof problem.code === 'string' ? problem.code : undefined;
      const retryable =
        response.status >= 500 ||
        response.status === 429 ||
        (response.status === 409 && code === 'idempotency-key-in-progress');
      const detail =
        typeof problem.detail === 'string'
          ? problem.detail
          : typeof problem.message === 'string'
            ? problem.message
            : text.slice(0, 200);
      if (!retryable)
        throw new AdminApiError(
          `${method} ${path}: ${response.status}${code ? ` ${code}` : ''}: ${detail}`,
          response.status,
          code,
        );
      reason = `${response.status}${code ? ` ${code}` : ''}`;
      const seconds = Number(response.headers.get('retry-after'));
      if (Number.isFinite(seconds) && seconds > 0) retryAfterMs = Math.min(seconds, 60) * 1000;
    } catch (error) {
      if (error instanceof AdminApiError) throw error;
      if ((error as { cause?: { code?: unknown } }).cause?.code === 'ECONNREFUSED')
        throw new ApiUnreachableError(new URL(url).origin);
      reason = `no answer (${(error as Error).message})`;
    }
    if (attempt >= maxAttempts)
      throw new AdminApiError(`${method} ${path}: gave up after ${attempt} tries, the last: ${reason}.`);
    const wait = retryAfterMs ?? Math.min(10_000, 500 * 2 ** (attempt - 1));
    options.onRetry?.(reason, wait);
    await sleep(wait);
  }
}

/** The `results` of an answer, each checked. */
function readResults(body: unknown): MemberSendResult[] {
  const list = (body as { results?: unknown } | undefined)?.results;
  if (!Array.isArray(list)) throw new AdminApiError('The API answered without results.');
  return list.map((r: { companyUserId?: unknown; status?: unknown }) => {
    if (typeof r?.companyUserId !== 'string' || !MEMBER_SEND_STATUSES.includes(r.status as MemberSendStatus))
      throw new AdminApiError('The API answered a malformed result.');
    return { companyUserId: r.companyUserId, status: r.status as MemberSendStatus };
  });
}
