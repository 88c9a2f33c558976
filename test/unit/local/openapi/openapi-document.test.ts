import { ERROR_TABLE, type ErrorCode } from '../../../../functions/handlers/http/error-table.js';
import { ROUTES, type RouteDefinition } from '../../../../functions/manifest/routes.js';
import { pages, problems } from '../../../../functions/local/openapi/error-responses.js';
import {
  AREAS,
  assembleDocument,
  openApiDocument,
  operationMismatches,
} from '../../../../functions/local/openapi/openapi-document.js';

/**
 * The document is assembled from the manifest, the operations of its areas and the error table:
 * these tests pin the correspondences (one operation per route, security from the manifest,
 * statuses from the table). Real responses against it: test/integration/openapi.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const doc = openApiDocument('http://localhost:3000') as Json;

const operations = () =>
  Object.entries<Json>(doc.paths).flatMap(([path, item]) =>
    Object.entries<Json>(item).map(([method, operation]) => ({
      key: `${method.toUpperCase()} ${path}`,
      operation,
    })),
  );

const route = (method: RouteDefinition['method'], path: string, authorization?: 'aws-iam') => ({
  method,
  path,
  ...(authorization ? { authorization } : {}),
});

describe('the routes of the manifest and the operations', () => {
  test('correspond one to one', () => {
    expect(operationMismatches(ROUTES, AREAS)).toEqual([]);
    expect(
      operations()
        .map((o) => o.key)
        .sort(),
    ).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  test('a route of the manifest without an operation is reported, and no document is built', () => {
    const routes = [...ROUTES, route('GET', '/links/me/devices')];
    expect(operationMismatches(routes, AREAS)).toEqual([
      'GET /links/me/devices: a route of the manifest without an operation',
    ]);
    expect(() => assembleDocument(routes, AREAS)).toThrow('GET /links/me/devices');
  });

  test('an operation for a route the manifest does not have is reported, and no document is built', () => {
    const routes = ROUTES.filter((r) => !(r.method === 'DELETE' && r.path === '/links/me'));
    expect(operationMismatches(routes, AREAS)).toEqual([
      'DELETE /links/me: an operation for no route of the manifest',
    ]);
    expect(() => assembleDocument(routes, AREAS)).toThrow('DELETE /links/me');
  });

  test('a route described by two areas is reported', () => {
    const twice = [
      ...AREAS,
      { tag: { name: 'again' }, operations: { 'GET /health': AREAS.at(-1)!.operations['GET /health']! } },
    ];
    expect(operationMismatches(ROUTES, twice)).toEqual(['GET /health: described twice']);
  });
});

describe('security follows the manifest', () => {
  test('an AWS IAM route is signed and answers 403 admin-forbidden, and no other route does', () => {
    const guarded = new Set(
      ROUTES.filter((r) => r.authorization === 'aws-iam').map((r) => `${r.method} ${r.path}`),
    );
    expect(guarded.size).toBeGreaterThan(0);
    for (const { key, operation } of operations()) {
      const signed = guarded.has(key);
      expect([key, operation.security]).toEqual([key, signed ? [{ awsSigV4: [] }] : expect.any(Array)]);
      expect([
        key,
        operation.responses['403']?.content?.['application/problem+json']?.schema?.allOf?.[1],
      ]).toEqual([
        key,
        signed
          ? { type: 'object', properties: { status: { const: 403 }, code: { enum: ['admin-forbidden'] } } }
          : undefined,
      ]);
      if (signed) expect(operation.responses['403'].content['application/json']).toBeDefined();
      else expect(operation.security).not.toEqual([{ awsSigV4: [] }]);
    }
  });

  test("a route's authorization, not its operation, makes it signed", () => {
    const unguarded = ROUTES.map((r) =>
      r.path === '/admin/messages/jobs/{jobId}' ? { ...r, authorization: undefined } : r,
    );
    const operation = (assembleDocument(unguarded, AREAS) as Json).paths['/admin/messages/jobs/{jobId}'].get;
    expect(operation.security).toEqual([]);
    expect(operation.responses['403']).toBeUndefined();
  });

  test('a route guarded by the manifest that also takes a LINE token is refused', () => {
    const guarded = ROUTES.map((r) =>
      r.path === '/links/me' && r.method === 'GET' ? { ...r, authorization: 'aws-iam' as const } : r,
    );
    expect(() => assembleDocument(guarded, AREAS)).toThrow('GET /links/me is guarded by the manifest');
  });
});

describe('error statuses come from the error table', () => {
  const problemStatus = (code: string) =>
    code === 'internal-error' ? 500 : ERROR_TABLE[code as ErrorCode].status;
  const pageStatus = (code: string) =>
    code === 'internal-error' ? 500 : ERROR_TABLE[code as ErrorCode].page;

  test('every code an operation lists is under its status in the table, and every operation answers 500', () => {
    const misplaced: string[] = [];
    for (const { key, operation } of operations()) {
      for (const [status, response] of Object.entries<Json>(operation.responses)) {
        const problem = response.content?.['application/problem+json']?.schema;
        const codes: string[] = problem
          ? (problem.allOf?.[1].properties.code.enum ?? [problem.properties.code.const])
          : [];
        const shown: string[] = response['x-error-codes'] ?? [];
        for (const code of codes)
          if (problemStatus(code) !== Number(status)) misplaced.push(`${key} ${status} ${code}`);
        for (const code of shown)
          if (pageStatus(code) !== Number(status)) misplaced.push(`${key} page ${status} ${code}`);
      }
      expect([key, operation.responses['500']]).toEqual([key, expect.anything()]);
    }
    expect(misplaced).toEqual([]);
  });

  test('codes are grouped by the status the table gives them, in the order they are named', () => {
    const responses = problems(['not-linked', 'write-contended', 'invalid-request', 'storage-unavailable']);
    expect(Object.keys(responses)).toEqual(['400', '404', '503']);
    expect(responses['503']).toMatchObject({
      description: 'Service Unavailable: write-contended, storage-unavailable',
      headers: { 'Retry-After': { $ref: '#/components/headers/Retry-After-Contended' } },
    });
  });

  test('a group of pages whose codes the table puts under different statuses is refused', () => {
    expect(() => pages([{ codes: ['login-cancelled', 'login-state-expired'], description: 'x' }])).toThrow(
      'statuses 200, 400',
    );
    expect(Object.keys(pages([{ codes: ['login-cancelled'], description: 'Cancelled' }]))).toEqual(['200']);
  });
});

test('every $ref of the document resolves', () => {
  const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/([^"]+)"/g)].map((m) => m[1]!);
  const unresolved = refs.filter(
    (pointer) => pointer.split('/').reduce<Json | undefined>((at, part) => at?.[part], doc) === undefined,
  );
  expect(refs.length).toBeGreaterThan(20);
  expect(unresolved).toEqual([]);
});
