import { createHash } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  NodeSha256,
  signAdminRequest,
  verifySigV4,
  type IncomingSignedRequest,
} from '../../../functions/local/sigv4.js';
import { referenceSign } from '../../support/sigv4-reference.js';

const credentials = {
  accessKeyId: 'AKIALOCALTEST',
  secretAccessKey: 'local-test-secret',
  principalArn: 'arn:aws:iam::000000000000:user/local-admin',
  accountId: '000000000000',
};
const now = new Date('2026-12-01T10:00:00Z');
const base = 'http://127.0.0.1:4500';

/** The request as the server sees it: lower-case headers, the body's bytes. */
function arrived(
  url: string,
  method: string,
  headers: Record<string, string>,
  body = '',
): IncomingSignedRequest {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    method,
    url: new URL(url),
    headers: { host: new URL(url).host, ...lower },
    body: Buffer.from(body),
  };
}

const verify = (request: IncomingSignedRequest, at = now) => verifySigV4(request, credentials, at);

describe('verifySigV4 accepts any standard SigV4 API Gateway accepts', () => {
  test('a plain implementation of AWS’s algorithm signing only host;x-amz-date, any region', async () => {
    const url = `${base}/admin/messages/jobs/j-1?cursor=500&b=x%20y&a=1`;
    for (const region of ['eu-west-1', 'ap-northeast-1', 'us-gov-west-1']) {
      const headers = referenceSign(url, { method: 'GET' }, credentials, { region, date: now });
      expect(await verify(arrived(url, 'GET', headers))).toEqual({ ok: true, accessKeyId: 'AKIALOCALTEST' });
    }
    const body = JSON.stringify({ reason: 'support' });
    const post = `${base}/admin/links/company/M%201/unlink`;
    const headers = referenceSign(post, { method: 'POST', body }, credentials, { date: now });
    expect(
      await verify(arrived(post, 'POST', { ...headers, 'content-type': 'application/json' }, body)),
    ).toMatchObject({
      ok: true,
    });
  });

  test('@smithy/signature-v4 with x-amz-content-sha256 signed, and without it', async () => {
    const url = `${base}/admin/messages`;
    const body = '{"to":["M1"],"messages":[{"type":"text","text":"hi"}]}';
    const hash = createHash('sha256').update(body).digest('hex');
    for (const extra of [{}, { 'x-amz-content-sha256': hash }] as Array<Record<string, string>>) {
      const headers = await signAdminRequest(
        url,
        { method: 'POST', body, headers: { 'content-type': 'application/json', ...extra } },
        credentials,
        { signingDate: now, region: 'us-east-1' },
      );
      expect(await verify(arrived(url, 'POST', headers, body))).toMatchObject({ ok: true });
    }
  });

  test('query parameters in any order on the wire, and a path with encoded characters', async () => {
    const signer = new SignatureV4({
      service: 'execute-api',
      region: 'eu-central-1',
      credentials,
      sha256: NodeSha256,
    });
    const signed = await signer.sign(
      {
        method: 'GET',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: 4500,
        path: '/admin/links/company/M%C3%BC%201',
        query: { z: 'last', a: ['2', '1'], 'sp ace': 'a+b' },
        headers: { host: '127.0.0.1:4500' },
      },
      { signingDate: now },
    );
    const url = `${base}/admin/links/company/M%C3%BC%201?z=last&sp%20ace=a%2Bb&a=1&a=2`;
    expect(await verify(arrived(url, 'GET', signed.headers))).toMatchObject({ ok: true });
  });

  test('x-amz-date within five minutes either way', async () => {
    const url = `${base}/admin/links/line/U1`;
    const headers = referenceSign(url, { method: 'GET' }, credentials, { date: now });
    expect(await verify(arrived(url, 'GET', headers), new Date(now.getTime() + 4.9 * 60_000))).toMatchObject({
      ok: true,
    });
    expect(await verify(arrived(url, 'GET', headers), new Date(now.getTime() - 4.9 * 60_000))).toMatchObject({
      ok: true,
    });
  });
});

describe('verifySigV4 refuses every change after signing', () => {
  const url = `${base}/admin/links/company/M1/unlink?dry=1`;
  const body = '{"reason":"support"}';
  const signed = () =>
    signAdminRequest(
      url,
      { method: 'POST', body, headers: { 'content-type': 'application/json' } },
      credentials,
      { signingDate: now, region: 'ap-northeast-1' },
    );
  const reasonOf = async (request: IncomingSignedRequest, at = now) => {
    const verdict = await verify(request, at);
    return verdict.ok ? 'accepted' : verdict.reason;
  };

  test('the untouched request passes (the baseline of the cases below)', async () => {
    expect(await reasonOf(arrived(url, 'POST', await signed(), body))).toBe('accepted');
  });

  test.each([
    [
      'the body',
      (h: Record<string, string>) => arrived(url, 'POST', h, '{"reason":"erasure-request"}'),
      'payload hash mismatch',
    ],
    [
      'the path',
      (h: Record<string, string>) => arrived(url.replace('M1', 'M2'), 'POST', h, body),
      'signature mismatch',
    ],
    [
      'a query value',
      (h: Record<string, string>) => arrived(url.replace('dry=1', 'dry=0'), 'POST', h, body),
      'signature mismatch',
    ],
    [
      'an added query parameter',
      (h: Record<string, string>) => arrived(`${url}&all=1`, 'POST', h, body),
      'signature mismatch',
    ],
    ['the method', (h: Record<string, string>) => arrived(url, 'PUT', h, body), 'signature mismatch'],
    [
      'a signed header',
      (h: Record<string, string>) => arrived(url, 'POST', { ...h, 'content-type': 'text/plain' }, body),
      'signature mismatch',
    ],
    [
      'the host',
      (h: Record<string, string>) => arrived(url, 'POST', { ...h, host: '127.0.0.1:4501' }, body),
      'signature mismatch',
    ],
    [
      'x-amz-date (by a second)',
      (h: Record<string, string>) => arrived(url, 'POST', { ...h, 'x-amz-date': '20261201T100001Z' }, body),
      'signature mismatch',
    ],
    [
      'the scope’s region',
      (h: Record<string, string>) =>
        arrived(
          url,
          'POST',
          { ...h, authorization: h.authorization!.replace('/ap-northeast-1/', '/us-east-1/') },
          body,
        ),
      'signature mismatch',
    ],
    [
      'the scope’s service',
      (h: Record<string, string>) =>
        arrived(
          url,
          'POST',
          { ...h, authorization: h.authorization!.replace('/execute-api/', '/s3/') },
          body,
        ),
      'wrong service in credential scope',
    ],
    [
      'the scope’s day',
      (h: Record<string, string>) =>
        arrived(
          url,
          'POST',
          { ...h, authorization: h.authorization!.replace('/20261201/', '/20261130/') },
          body,
        ),
      'credential scope date mismatch',
    ],
    [
      'the access key',
      (h: Record<string, string>) =>
        arrived(
          url,
          'POST',
          { ...h, authorization: h.authorization!.replace('AKIALOCALTEST', 'AKIAOTHER') },
          body,
        ),
      'unknown access key',
    ],
    [
      'the signed-header list (content-type dropped)',
      (h: Record<string, string>) =>
        arrived(url, 'POST', { ...h, authorization: h.authorization!.replace('content-type;', '') }, body),
      'signature mismatch',
    ],
  ])('%s', async (_, tamper, reason) => {
    expect(await reasonOf(tamper(await signed()))).toBe(reason);
  });

  test('the body, signed without x-amz-content-sha256', async () => {
    const headers = referenceSign(url, { method: 'POST', body }, credentials, { date: now });
    expect(await reasonOf(arrived(url, 'POST', headers, body))).toBe('accepted');
    expect(await reasonOf(arrived(url, 'POST', headers, '{"reason":"erasure-request"}'))).toBe(
      'signature mismatch',
    );
  });

  test('signed with another secret key', async () => {
    const headers = await signAdminRequest(
      url,
      { method: 'POST', body },
      { ...credentials, secretAccessKey: 'wrong' },
      {
        signingDate: now,
      },
    );
    expect(await reasonOf(arrived(url, 'POST', headers, body))).toBe('signature mismatch');
  });

  test('more than five minutes off, either way', async () => {
    const headers = await signed();
    expect(await reasonOf(arrived(url, 'POST', headers, body), new Date(now.getTime() + 5.1 * 60_000))).toBe(
      'signature expired or not yet valid',
    );
    expect(await reasonOf(arrived(url, 'POST', headers, body), new Date(now.getTime() - 5.1 * 60_000))).toBe(
      'signature expired or not yet valid',
    );
  });

  test('x-amz-content-sha256 that is not the body’s hash, and UNSIGNED-PAYLOAD (S3 only)', async () => {
    const wrong = createHash('sha256').update('other').digest('hex');
    for (const [value, reason] of [
      [wrong, 'payload hash mismatch'],
      ['UNSIGNED-PAYLOAD', 'UNSIGNED-PAYLOAD is for Amazon S3 only; sign the payload'],
    ] as const) {
      const headers = await signAdminRequest(
        url,
        { method: 'POST', body, headers: { 'x-amz-content-sha256': value } },
        credentials,
        { signingDate: now },
      );
      expect(await reasonOf(arrived(url, 'POST', headers, body))).toBe(reason);
    }
  });

  test('host or x-amz-date not among the signed headers, a missing or malformed header', async () => {
    const only = (names: string) => {
      const headers = referenceSign(url, { method: 'POST', body }, credentials, { date: now });
      return { ...headers, authorization: headers.authorization!.replace('host;x-amz-date', names) };
    };
    expect(await reasonOf(arrived(url, 'POST', only('x-amz-date'), body))).toBe('host not signed');
    expect(await reasonOf(arrived(url, 'POST', only('host'), body))).toBe('x-amz-date not signed');
    expect(await reasonOf(arrived(url, 'POST', only('host;x-amz-date;x-extra'), body))).toBe(
      'signed header x-extra missing',
    );
    expect(await reasonOf(arrived(url, 'POST', {}, body))).toBe('unsigned');
    expect(
      await reasonOf(arrived(url, 'POST', { authorization: 'AWS4-HMAC-SHA256 Credential=x' }, body)),
    ).toBe('malformed authorization header');
  });
});
