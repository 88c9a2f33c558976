import * as coreErrors from '../../../../functions/core/errors.js';
import { DomainError } from '../../../../functions/core/errors.js';
import {
  ERROR_TABLE,
  errorTreatment,
  type ErrorCode,
  type ErrorTreatment,
} from '../../../../functions/handlers/http/error-table.js';
import * as httpErrors from '../../../../functions/handlers/http/http-errors.js';
import { problemResponse } from '../../../../functions/handlers/http/problem.js';
import { pageStatus } from '../../../../functions/handlers/http/web-pages.js';

/** The static code(s) of every exported DomainError class of a module. */
function declaredCodes(module: Record<string, unknown>): string[] {
  return Object.values(module).flatMap((value) => {
    if (typeof value !== 'function' || !(value.prototype instanceof DomainError)) return [];
    const { code, codes } = value as unknown as { code?: string; codes?: readonly string[] };
    return code !== undefined ? [code] : [...(codes ?? [])];
  });
}

describe('the error table', () => {
  it('has exactly one row per declared code, core and HTTP edge', () => {
    const declared = [...declaredCodes(coreErrors), ...declaredCodes(httpErrors)];
    expect(new Set(declared).size).toBe(declared.length);
    expect(Object.keys(ERROR_TABLE).sort()).toEqual([...declared].sort());
  });

  it('is what instances carry: each error reports one of its class codes', () => {
    const samples: coreErrors.DomainError[] = [
      new coreErrors.InvalidTokenError('company', 'x'),
      new coreErrors.UpstreamError('company-api', 'bad-response'),
      new coreErrors.LoginStateError('not-bound'),
      new coreErrors.AuthorizationFailedError('line', 'access_denied'),
      new coreErrors.AuthorizationFailedError('company', 'server_error'),
      new coreErrors.AuthorizationCodeRejectedError('line'),
      new coreErrors.TooManyAttemptsError(3),
      new httpErrors.MethodNotAllowedError(['GET']),
    ];
    expect(samples.map((e) => e.code)).toEqual([
      'invalid-company-token',
      'company-api-bad-response',
      'login-state-not-bound',
      'login-cancelled',
      'company-authorization-failed',
      'line-code-rejected',
      'too-many-attempts',
      'method-not-allowed',
    ]);
    for (const error of samples) expect(errorTreatment(error.code)).toBeDefined();
  });

  it('drives the problem status, the page status and the metric from the same row', () => {
    const error = new coreErrors.InvalidTokenError('line', 'expired');
    expect(problemResponse(error).statusCode).toBe(401);
    expect(pageStatus(error.code)).toBe(400);
    expect(errorTreatment(error.code)?.metric).toBe('RejectedTokens');
    expect(pageStatus('login-cancelled')).toBe(200);
    expect(errorTreatment('toString')).toBeUndefined();
    expect(pageStatus('something-new')).toBe(500);
  });

  it('does not compile without a row for every code (checked by tsc)', () => {
    const complete: Record<ErrorCode, ErrorTreatment> = ERROR_TABLE;
    // @ts-expect-error a table missing a code's row is a type error
    const incomplete: Record<ErrorCode, ErrorTreatment> = { 'not-linked': { status: 404, page: 404 } };
    // @ts-expect-error a code that no error class declares is not an ErrorCode
    const unknown: ErrorCode = 'made-up-code';
    expect([complete, incomplete, unknown]).toHaveLength(3);
  });
});
