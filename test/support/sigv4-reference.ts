import { createHash, createHmac } from 'node:crypto';

/**
 * A plain SigV4 signer written from AWS's published algorithm
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html), independent of
 * the service's verifier and of @smithy/signature-v4: it signs only `host;x-amz-date` and sends no
 * `x-amz-content-sha256`, the least a client may sign (what many hand-written clients do).
 */
export function referenceSign(
  url: string,
  init: { method: string; body?: string },
  credentials: { accessKeyId: string; secretAccessKey: string },
  options: { region?: string; service?: string; date?: Date } = {},
): Record<string, string> {
  const target = new URL(url);
  const region = options.region ?? 'eu-west-1';
  const service = options.service ?? 'execute-api';
  const amzDate = (options.date ?? new Date())
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const encode = (s: string) =>
    encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  // Non-S3 services: each segment of the (already encoded) path is encoded once more.
  const canonicalUri = target.pathname
    .split('/')
    .map((segment) => encode(segment))
    .join('/');
  const canonicalQuery = [...target.searchParams]
    .map(([k, v]) => [encode(k), encode(v)])
    .sort(([a, x], [b, y]) => (a! < b! ? -1 : a! > b! ? 1 : x! < y! ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalRequest = [
    init.method,
    canonicalUri,
    canonicalQuery,
    `host:${target.host}\nx-amz-date:${amzDate}\n`,
    'host;x-amz-date',
    hex(init.body ?? ''),
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, hex(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${credentials.secretAccessKey}`, day);
  key = hmac(hmac(hmac(key, region), service), 'aws4_request');
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  return {
    'x-amz-date': amzDate,
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=host;x-amz-date, Signature=${signature}`,
  };
}

function hex(data: string): string {
  return createHash('sha256').update(data, 'utf8').digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}
