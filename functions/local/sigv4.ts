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
/** How far a signature's time may be from the server's (AWS allows 5 minutes). */
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

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

/**
 * Checks a request's `Authorization: AWS4-HMAC-SHA256 …` header the way AWS does: the access key
 * must be the local one, the service `execute-api`, `X-Amz-Date` within {@link MAX_CLOCK_SKEW_MS}
 * of now and on the credential scope's day, `host` among the signed headers, the payload hash
 * (when sent) equal to the body's, and the signature equal (in constant time) to the one computed
 * again from exactly the signed headers, the path, the query and the body.
 */
export async function verifySigV4(
  request: IncomingSignedRequest,
  credentials: LocalIamCredentials,
  now: Date = new Date(),
): Promise<SigV4Verdict> {
  const header = request.headers.authorization;
  if (!header) return { ok: false, reason: 'unsigned' };
  const match = header.match(AUTHORIZATION);
  if (!match) return { ok: false, reason: 'malformed authorization header' };
  const [, accessKeyId, scopeDate, region, service, signedHeaderList, signature] =
    match as unknown as string[];
  if (accessKeyId !== credentials.accessKeyId) return { ok: false, reason: 'unknown access key' };
  if (service !== EXECUTE_API) return { ok: false, reason: 'wrong service in credential scope' };
  const amzDate = request.headers['x-amz-date'];
  const signedAt = amzDate ? parseAmzDate(amzDate) : undefined;
  if (!signedAt) return { ok: false, reason: 'missing or malformed x-amz-date' };
  if (Math.abs(now.getTime() - signedAt.getTime()) > MAX_CLOCK_SKEW_MS)
    return { ok: false, reason: 'signature expired or not yet valid' };
  if (amzDate!.slice(0, 8) !== scopeDate) return { ok: false, reason: 'credential scope date mismatch' };
  const signedHeaders = signedHeaderList!.split(';');
  if (!signedHeaders.includes('host')) return { ok: false, reason: 'host not signed' };

  const bodyHash = createHash('sha256').update(request.body).digest('hex');
  const sentHash = request.headers['x-amz-content-sha256'];
  if (sentHash !== undefined && sentHash !== bodyHash) return { ok: false, reason: 'payload hash mismatch' };

  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) return { ok: false, reason: `signed header ${name} missing` };
    headers[name] = value;
  }
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of request.url.searchParams) {
    const existing = query[key];
    query[key] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  const signer = new SignatureV4({
    service: EXECUTE_API,
    region: region!,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    sha256: NodeSha256,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: headers.host!.split(':')[0]!,
      path: request.url.pathname,
      query,
      headers,
      body: request.body.length ? request.body : undefined,
    },
    { signingDate: signedAt, signableHeaders: new Set(signedHeaders) },
  );
  const expected = (signed.headers.authorization ?? signed.headers.Authorization ?? '').match(
    /Signature=([0-9a-f]{64})/,
  )?.[1];
  if (!expected || !timingSafeEqual(Buffer.from(expected), Buffer.from(signature!)))
    return { ok: false, reason: 'signature mismatch' };
  return { ok: true, accessKeyId: accessKeyId! };
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
