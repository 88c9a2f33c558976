import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';

/**
 * AWS Signature Version 4 for the admin API on this machine. In the cloud, API Gateway's AWS IAM
 * authorization checks the signature and tells the function who called
 * (`requestContext.authorizer.iam.userArn`); locally the dev server does the same check here with
 * credentials it prints at start, so a company's client code signs the same way in both places
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html).
 */

/** The credentials the dev server accepts, and the principal they stand for. */
export interface LocalIamCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** The ARN handed to the handlers as the caller (like API Gateway's `userArn`). */
  principalArn: string;
  accountId: string;
}

/** The service name API Gateway signatures use. */
export const EXECUTE_API = 'execute-api';
/**
 * How far a signature's time may be from the server's: "a request must reach AWS within five
 * minutes of the time stamp in the request"
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html).
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** Fresh random local credentials, or those of LOCAL_ADMIN_ACCESS_KEY_ID / LOCAL_ADMIN_SECRET_ACCESS_KEY. */
export function localIamCredentials(
  env: Record<string, string | undefined> = process.env,
): LocalIamCredentials {
  const accountId = '000000000000';
  return {
    accessKeyId:
      env.LOCAL_ADMIN_ACCESS_KEY_ID?.trim() || `AKIALOCAL${randomBytes(6).toString('hex').toUpperCase()}`,
    secretAccessKey: env.LOCAL_ADMIN_SECRET_ACCESS_KEY?.trim() || randomBytes(30).toString('base64url'),
    principalArn: `arn:aws:iam::${accountId}:user/local-admin`,
    accountId,
  };
}

/** SHA-256 / HMAC-SHA256 from node:crypto in the shape the signer wants. */
export class NodeSha256 implements Checksum {
  private hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;

  constructor(private readonly secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }

  update(data: SourceData): void {
    this.hash.update(toBuffer(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    this.hash =
      this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** A plain HTTP request as it arrived. */
export interface IncomingSignedRequest {
  method: string;
  url: URL;
  /** Lower-case names; repeated values comma-joined. */
  headers: Record<string, string>;
  body: Buffer;
}

/** Result of {@link verifySigV4}; `reason` is for logs only. */
export type SigV4Verdict = { ok: true; accessKeyId: string } | { ok: false; reason: string };

const ALGORITHM = 'AWS4-HMAC-SHA256';

/**
 * Checks a request's `Authorization: AWS4-HMAC-SHA256 …` header the way API Gateway's IAM
 * authorization does, from AWS's published algorithm
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html):
 * the canonical request is built from exactly the headers the client lists in `SignedHeaders`
 * (which must include `host` and `x-amz-date`), the path with each segment URI-encoded twice
 * (every service but S3), the query's parameters decoded, RFC 3986-encoded and sorted, and the
 * SHA-256 of the body as received. The access key must be the local one, the credential scope
 * `<day of x-amz-date>/<any region>/execute-api/aws4_request`, and `X-Amz-Date` within
 * {@link MAX_CLOCK_SKEW_MS} of now. Any change to the body, path, query, a signed header, the
 * date or the scope after signing changes the signature; it is compared in constant time.
 *
 * `x-amz-content-sha256` is optional; when sent it must be the body's hash. `UNSIGNED-PAYLOAD`
 * is refused: it is Amazon S3's option
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html), and for other
 * services, API Gateway among them, the canonical request always ends with the payload's hash
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request).
 */
export async function verifySigV4(
  request: IncomingSignedRequest,
  credentials: LocalIamCredentials,
  now: Date = new Date(),
): Promise<SigV4Verdict> {
  const header = request.headers.authorization;
  if (!header) return { ok: false, reason: 'unsigned' };
  const parsed = parseAuthorization(header);
  if (!parsed) return { ok: false, reason: 'malformed authorization header' };
  const { accessKeyId, scope, signedHeaders, signature } = parsed;
  const [scopeDate, region, service, terminator] = scope;
  if (accessKeyId !== credentials.accessKeyId) return { ok: false, reason: 'unknown access key' };
  if (service !== EXECUTE_API) return { ok: false, reason: 'wrong service in credential scope' };
  if (terminator !== 'aws4_request' || !/^[a-z0-9-]+$/.test(region!))
    return { ok: false, reason: 'malformed credential scope' };
  const amzDate = request.headers['x-amz-date'];
  const signedAt = amzDate ? parseAmzDate(amzDate) : undefined;
  if (!amzDate || !signedAt) return { ok: false, reason: 'missing or malformed x-amz-date' };
  if (Math.abs(now.getTime() - signedAt.getTime()) > MAX_CLOCK_SKEW_MS)
    return { ok: false, reason: 'signature expired or not yet valid' };
  if (amzDate.slice(0, 8) !== scopeDate) return { ok: false, reason: 'credential scope date mismatch' };
  for (const required of ['host', 'x-amz-date'])
    if (!signedHeaders.includes(required)) return { ok: false, reason: `${required} not signed` };

  const payloadHash = createHash('sha256').update(request.body).digest('hex');
  const sentHash = request.headers['x-amz-content-sha256'];
  if (sentHash === 'UNSIGNED-PAYLOAD')
    return { ok: false, reason: 'UNSIGNED-PAYLOAD is for Amazon S3 only; sign the payload' };
  if (sentHash !== undefined && sentHash.toLowerCase() !== payloadHash)
    return { ok: false, reason: 'payload hash mismatch' };

  const canonicalHeaders: string[] = [];
  for (const name of signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) return { ok: false, reason: `signed header ${name} missing` };
    canonicalHeaders.push(`${name}:${value.trim().replace(/\s+/g, ' ')}\n`);
  }
  const path = canonicalPath(request.url.pathname);
  const query = canonicalQuery(request.url.search);
  if (path === undefined || query === undefined) return { ok: false, reason: 'malformed percent-encoding' };
  const canonicalRequest = [
    request.method.toUpperCase(),
    path,
    query,
    canonicalHeaders.join(''),
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const credentialScope = scope.join('/');
  const stringToSign = [ALGORITHM, amzDate, credentialScope, sha256Hex(canonicalRequest)].join('\n');
  let key: Buffer = Buffer.from(`AWS4${credentials.secretAccessKey}`, 'utf8');
  for (const part of scope) key = hmac(key, part);
  const expected = hmac(key, stringToSign).toString('hex');
  if (!timingSafeEqual(Buffer.from(expected), Buffer.from(signature)))
    return { ok: false, reason: 'signature mismatch' };
  return { ok: true, accessKeyId };
}

/** `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` (components in any order). */
function parseAuthorization(
  header: string,
): { accessKeyId: string; scope: string[]; signedHeaders: string[]; signature: string } | undefined {
  if (!header.startsWith(`${ALGORITHM} `)) return undefined;
  const fields = new Map<string, string>();
  for (const part of header.slice(ALGORITHM.length + 1).split(',')) {
    const [name, ...rest] = part.trim().split('=');
    if (!name || rest.length === 0) return undefined;
    fields.set(name, rest.join('='));
  }
  const credential = fields.get('Credential')?.split('/');
  const signedHeaders = fields.get('SignedHeaders')?.split(';');
  const signature = fields.get('Signature');
  if (credential?.length !== 5 || !signedHeaders || !signature || !/^[0-9a-f]{64}$/.test(signature))
    return undefined;
  if (!signedHeaders.every((name) => /^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name))) return undefined;
  const [accessKeyId, ...scope] = credential as [string, ...string[]];
  return { accessKeyId, scope, signedHeaders, signature };
}

/** Each path segment decoded, then URI-encoded twice (SigV4's rule for every service but S3). */
function canonicalPath(pathname: string): string | undefined {
  try {
    return (
      pathname
        .split('/')
        .map((segment) => uriEncode(uriEncode(decodeURIComponent(segment))))
        .join('/') || '/'
    );
  } catch {
    return undefined;
  }
}

/** Parameters decoded, RFC 3986-encoded, sorted by name then value, `&`-joined. */
function canonicalQuery(search: string): string | undefined {
  try {
    return search
      .replace(/^\?/, '')
      .split('&')
      .filter((pair) => pair !== '')
      .map((pair) => {
        const at = pair.indexOf('=');
        const name = at === -1 ? pair : pair.slice(0, at);
        const value = at === -1 ? '' : pair.slice(at + 1);
        return [uriEncode(decodeURIComponent(name)), uriEncode(decodeURIComponent(value))] as const;
      })
      .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
      .map(([name, value]) => `${name}=${value}`)
      .join('&');
  } catch {
    return undefined;
  }
}

/** RFC 3986 percent-encoding: everything but `A–Z a–z 0–9 - _ . ~`, as UTF-8, upper-case hex. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** `20261130T203000Z` → Date. */
function parseAmzDate(value: string): Date | undefined {
  const m = value.match(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/);
  if (!m) return undefined;
  const date = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * Signs a request for the admin API (tests, the send command line, the demo's server side): the
 * same signature any AWS SDK or `aws-sigv4` client makes.
 */
export async function signAdminRequest(
  url: string,
  init: { method: string; body?: string; headers?: Record<string, string> },
  credentials: Pick<LocalIamCredentials, 'accessKeyId' | 'secretAccessKey'>,
  options: { region?: string; signingDate?: Date } = {},
): Promise<Record<string, string>> {
  const target = new URL(url);
  const query: Record<string, string> = {};
  for (const [key, value] of target.searchParams) query[key] = value;
  const signer = new SignatureV4({
    service: EXECUTE_API,
    region: options.region ?? 'ap-northeast-1',
    credentials,
    sha256: NodeSha256,
  });
  const signed = await signer.sign(
    {
      method: init.method,
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port ? Number(target.port) : undefined,
      path: target.pathname,
      query,
      headers: { host: target.host, ...lowerCase(init.headers ?? {}) },
      body: init.body,
    },
    { signingDate: options.signingDate },
  );
  return signed.headers;
}

function lowerCase(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
