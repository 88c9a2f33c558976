import { Ajv2020 } from 'ajv/dist/2020.js';
import { ERROR_TABLE } from '../../../functions/handlers/http/error-table.js';
import { ROUTES } from '../../../functions/manifest/routes.js';
import {
  DEFAULT_COMPANY_MEMBERS,
  testLineUserId,
} from '../../../functions/local/emulators/test-identities.js';
import { openApiDocument } from '../../../functions/local/openapi/openapi-document.js';
import { call, type ApiResponse } from '../../support/http.js';
import { importSample, TEST_PEPPER } from '../../support/member-data.js';
import { startTestStack, TEST_CLIENT, type TestStack } from '../../support/test-stack.js';

/**
 * The OpenAPI document (served at /openapi.json by `npm start`) against the code: every route of
 * the manifest is described, every problem code is listed, and real responses of the real
 * handlers (DynamoDB Local, the emulators) match the status, content type, body schema and
 * required headers the document gives for them.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const APP = 'https://app.example.com/linked';
const doc = openApiDocument('http://localhost:3000') as Json;
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema(doc, 'openapi.json');

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** Checks one real response against the document; returns the problems found (none = conforms). */
function conformance(method: string, path: string, response: ApiResponse): string[] {
  const operation = doc.paths[path]?.[method.toLowerCase()];
  if (!operation) return [`${method} ${path} is not in the document`];
  const spec = operation.responses[String(response.status)];
  const where = `${method} ${path} → ${response.status}`;
  if (!spec) return [`${where} is not documented (body ${response.text.slice(0, 200)})`];
  const errors: string[] = [];
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (spec.content) {
    const media = spec.content[contentType];
    if (!media) {
      errors.push(`${where}: content type ${contentType || '(none)'} not in ${Object.keys(spec.content)}`);
    } else if (contentType.endsWith('json')) {
      const validate = ajv.getSchema(
        `openapi.json#/${pointer('paths', path, method.toLowerCase(), 'responses', String(response.status), 'content', contentType, 'schema')}`,
      )!;
      if (!validate(response.body))
        errors.push(`${where}: ${ajv.errorsText(validate.errors)} in ${response.text}`);
    }
  } else if (response.text !== '') {
    errors.push(`${where}: documented without a body, got ${response.text.slice(0, 100)}`);
  }
  for (const [name, header] of Object.entries<Json>(spec.headers ?? {})) {
    const resolved: Json = header.$ref ? doc.components.headers[header.$ref.split('/').pop()] : header;
    const value = response.headers.get(name);
    if (value === null) {
      if (resolved.required) errors.push(`${where}: required header ${name} missing`);
      continue;
    }
    const validate = ajv.compile(resolved.schema ?? {});
    if (!validate(value))
      errors.push(`${where}: header ${name}: ${value} does not match ${JSON.stringify(resolved.schema)}`);
  }
  return errors;
}

describe('the document against the code', () => {
  test('is a 3.1 document that describes every route of the manifest', () => {
    expect(doc.openapi).toBe('3.1.0');
    const missing = ROUTES.filter((r) => !doc.paths[r.path]?.[r.method.toLowerCase()]).map(
      (r) => `${r.method} ${r.path}`,
    );
    expect(missing).toEqual([]);
  });

  test('lists every problem code, each under its status on at least one operation', () => {
    const enumerated: string[] = doc.components.schemas.ProblemCode.enum;
    expect(enumerated).toEqual(expect.arrayContaining(Object.keys(ERROR_TABLE)));
    const text = JSON.stringify(doc.paths);
    const undocumented = Object.keys(ERROR_TABLE).filter(
      (code) => !['route-not-found', 'method-not-allowed'].includes(code) && !text.includes(`"${code}"`),
    );
    expect(undocumented).toEqual([]);
    // The catch-all codes are explained once, in the description.
    expect(doc.info.description).toContain('route-not-found');
    expect(doc.info.description).toContain('method-not-allowed');
  });

  test('documents Retry-After on 429 and WWW-Authenticate on 401 wherever they occur', () => {
    for (const [path, item] of Object.entries<Json>(doc.paths)) {
      for (const [method, operation] of Object.entries<Json>(item)) {
        const responses = operation.responses as Json;
        if (responses['429'])
          expect([path, method, responses['429'].headers?.['Retry-After']]).toEqual([
            path,
            method,
            expect.anything(),
          ]);
        if (responses['401']?.content?.['application/problem+json']?.schema?.allOf)
          expect([path, method, responses['401'].headers?.['WWW-Authenticate']]).toEqual([
            path,
            method,
            expect.anything(),
          ]);
      }
    }
  });
});

describe('real responses conform to the document', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({
      MEMBER_HASH_PEPPER: TEST_PEPPER,
      MEMBER_FACTORS: 'birthDate,postalCode',
      APP_RETURN_URLS: APP,
      ATTEMPTS_PER_MEMBER: '2',
    });
    stack.configure({
      COMPANY_API_URL: `${stack.company.url}/api/members/verify`,
      COMPANY_API_AUTH: 'oauth',
      COMPANY_API_TOKEN_URL: `${stack.company.url}/token`,
      COMPANY_API_CLIENT_ID: TEST_CLIENT.clientId,
      COMPANY_API_CLIENT_SECRET: TEST_CLIENT.clientSecret,
    });
    await importSample(stack.tables.members);
  }, 60_000);
  afterAll(() => stack.close());

  const seen: string[] = [];
  async function check(method: string, path: string, response: ApiResponse, expected: number) {
    expect(`${method} ${path} ${response.status} ${response.status === expected ? '' : response.text}`).toBe(
      `${method} ${path} ${expected} `,
    );
    expect(conformance(method, path, response)).toEqual([]);
    seen.push(
      `${response.status} ${response.status >= 400 && response.body ? (response.body as Json).code : ''}`,
    );
  }
  let seq = 0;
  const lineUser = async () =>
    stack.line.mintIdToken({ userId: testLineUserId(`openapi-${++seq}-${Date.now()}`) });
  const companyToken = (sub: string) => stack.company.mintIdToken({ sub });
  const api = () => stack.api.url;

  test('health and the pattern 1 routes, success and refusals', async () => {
    await check('GET', '/health', await call(api(), 'GET', '/health'), 200);
    const token = await lineUser();
    const member = DEFAULT_COMPANY_MEMBERS[0]!.memberId;
    const body = { companyIdToken: await companyToken(member) };
    await check('POST', '/links', await call(api(), 'POST', '/links', { json: body }), 401);
    await check(
      'POST',
      '/links',
      await call(api(), 'POST', '/links', { token: `${token}x`, json: body }),
      401,
    );
    await check(
      'POST',
      '/links',
      await call(api(), 'POST', '/links', {
        token,
        body: '{"a":',
        headers: { 'content-type': 'application/json' },
      }),
      400,
    );
    await check(
      'POST',
      '/links',
      await call(api(), 'POST', '/links', { token, body: 'x', headers: { 'content-type': 'text/plain' } }),
      415,
    );
    await check('POST', '/links', await call(api(), 'POST', '/links', { token, json: {} }), 400);
    await check(
      'POST',
      '/links',
      await call(api(), 'POST', '/links', { token, json: { companyIdToken: await lineUser() } }),
      401,
    );
    await check('POST', '/links', await call(api(), 'POST', '/links', { token, json: body }), 201);
    await check('POST', '/links', await call(api(), 'POST', '/links', { token, json: body }), 200);
    // The member's token from another LINE account: a replay; a sign-in of its own: a conflict.
    const other = await lineUser();
    await check('POST', '/links', await call(api(), 'POST', '/links', { token: other, json: body }), 401);
    await check(
      'POST',
      '/links',
      await call(api(), 'POST', '/links', {
        token: other,
        json: { companyIdToken: await companyToken(member) },
      }),
      409,
    );
    await check('GET', '/links/me', await call(api(), 'GET', '/links/me', { token }), 200);
    await check('GET', '/links/me/history', await call(api(), 'GET', '/links/me/history', { token }), 200);
    await check(
      'GET',
      '/links/me/history',
      await call(api(), 'GET', '/links/me/history?limit=0', { token }),
      400,
    );
    await check('DELETE', '/links/me', await call(api(), 'DELETE', '/links/me', { token }), 204);
    await check('GET', '/links/me', await call(api(), 'GET', '/links/me', { token }), 404);
  });

  test('a company access token and the app nonce route', async () => {
    await check('POST', '/links/nonce', await call(api(), 'POST', '/links/nonce'), 201);
    const token = await lineUser();
    const member = DEFAULT_COMPANY_MEMBERS[1]!.memberId;
    const accessToken = stack.company.mintAccessToken({ sub: member });
    const both = { companyAccessToken: accessToken, companyIdToken: await companyToken(member) };
    await check('POST', '/links', await call(api(), 'POST', '/links', { token, json: both }), 400);
    const json = { companyAccessToken: accessToken };
    await check('POST', '/links', await call(api(), 'POST', '/links', { token, json }), 201);
    await check('DELETE', '/links/me', await call(api(), 'DELETE', '/links/me', { token }), 204);
  });

  test('patterns 2 and 3: linked, verification failed, locked out with Retry-After', async () => {
    const [hanako, ichiro] = [DEFAULT_COMPANY_MEMBERS[0]!, DEFAULT_COMPANY_MEMBERS[1]!];
    for (const path of ['/links/by-record', '/links/by-api']) {
      const member = path === '/links/by-record' ? hanako : ichiro;
      const token = await lineUser();
      const wrong = {
        memberId: member.memberId,
        factors: { birthDate: '1901-01-01', postalCode: member.postalCode },
      };
      await check('POST', path, await call(api(), 'POST', path, { token, json: wrong }), 422);
      // Wrong again until the member is locked (ATTEMPTS_PER_MEMBER=2).
      let locked = await call(api(), 'POST', path, { token, json: wrong });
      for (let i = 0; i < 3 && locked.status === 422; i++) {
        expect(conformance('POST', path, locked)).toEqual([]);
        locked = await call(api(), 'POST', path, { token, json: wrong });
      }
      await check('POST', path, locked, 429);
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
      const other = DEFAULT_COMPANY_MEMBERS[path === '/links/by-record' ? 2 : 3]!;
      const right = {
        memberId: other.memberId,
        factors: { birthDate: other.birthDate, postalCode: other.postalCode },
      };
      await check(
        'POST',
        path,
        await call(api(), 'POST', path, { token: await lineUser(), json: right }),
        201,
      );
      await check(
        'POST',
        path,
        await call(api(), 'POST', path, { token: await lineUser(), json: { memberId: '' } }),
        400,
      );
    }
  });

  test('the web flow routes: redirects, the JSON start, HTML error pages', async () => {
    const login = await call(api(), 'GET', `/auth/line/login?returnTo=${encodeURIComponent(APP)}`);
    await check('GET', '/auth/line/login', login, 302);
    await check(
      'GET',
      '/auth/line/login',
      await call(api(), 'GET', '/auth/line/login?returnTo=https%3A%2F%2Fevil.example'),
      400,
    );
    await check('GET', '/auth/line/callback', await call(api(), 'GET', '/auth/line/callback?code=x'), 400);
    await check(
      'GET',
      '/auth/company/callback',
      await call(api(), 'GET', '/auth/company/callback?code=x'),
      400,
    );
    const token = await lineUser();
    await check(
      'POST',
      '/auth/company/start',
      await call(api(), 'POST', '/auth/company/start', { token, json: { returnTo: APP } }),
      200,
    );
    await check(
      'POST',
      '/auth/company/start',
      await call(api(), 'POST', '/auth/company/start', { token, json: { returnTo: 'https://evil.example' } }),
      400,
    );
  });

  test('covered a broad set of statuses and codes', () => {
    for (const expected of [
      '200',
      '201',
      '204',
      '302',
      '400 invalid-request',
      '400 malformed-json',
      '401 missing-line-token',
      '401 invalid-line-token',
      '401 invalid-company-token',
      '401 company-token-replayed',
      '404 not-linked',
      '409 company-user-already-linked',
      '415 unsupported-media-type',
      '422 verification-failed',
      '429 too-many-attempts',
      '400 return-to-not-allowed',
    ]) {
      expect(seen.some((s) => s.startsWith(expected))).toBe(true);
    }
  });

  test('the checker itself refuses what the document does not allow', () => {
    const fake = (status: number, body: unknown, headers: Record<string, string> = {}): ApiResponse => ({
      status,
      body,
      text: JSON.stringify(body),
      headers: new Headers({ 'content-type': 'application/problem+json', ...headers }),
    });
    const problem = {
      type: 'urn:line-id-link:problem:too-many-attempts',
      title: 'x',
      status: 429,
      detail: 'x',
      code: 'too-many-attempts',
    };
    expect(conformance('POST', '/links/by-record', fake(429, problem, { 'retry-after': '30' }))).toEqual([]);
    expect(conformance('POST', '/links/by-record', fake(429, problem))).toEqual([
      expect.stringContaining('Retry-After'),
    ]);
    expect(
      conformance(
        'POST',
        '/links/by-record',
        fake(429, { ...problem, code: 'not-linked' }, { 'retry-after': '3' }),
      ),
    ).not.toEqual([]);
    expect(conformance('GET', '/links/me', fake(418, problem))).toEqual([
      expect.stringContaining('not documented'),
    ]);
  });
});
