import {
  InvalidTokenError,
  LineUserAlreadyLinkedError,
  MissingTokenError,
  UpstreamError,
  WriteContendedError,
} from '../../../../functions/core/errors.js';
import { MethodNotAllowedError } from '../../../../functions/handlers/http/http-errors.js';
import { problemResponse } from '../../../../functions/handlers/http/problem.js';

describe('problemResponse', () => {
  it('maps a domain error to problem+json with its stable code', () => {
    const response = problemResponse(new LineUserAlreadyLinkedError());
    expect(response.statusCode).toBe(409);
    expect(response.headers?.['Content-Type']).toBe('application/problem+json');
    expect(JSON.parse(response.body!)).toMatchObject({
      status: 409,
      code: 'line-user-already-linked',
      type: 'urn:line-id-link:problem:line-user-already-linked',
    });
  });

  it('sends WWW-Authenticate on 401, with error=invalid_token only for a bad token', () => {
    expect(problemResponse(new MissingTokenError()).headers?.['WWW-Authenticate']).toBe(
      'Bearer realm="line-id-link"',
    );
    expect(problemResponse(new InvalidTokenError('line', 'x')).headers?.['WWW-Authenticate']).toContain(
      'error="invalid_token"',
    );
  });

  it('maps upstream failures to 503 and 502, and 405 carries Allow', () => {
    expect(problemResponse(new UpstreamError('line', 'unavailable')).statusCode).toBe(503);
    expect(problemResponse(new UpstreamError('company-idp', 'bad-response')).statusCode).toBe(502);
    expect(problemResponse(new MethodNotAllowedError(['GET', 'DELETE'])).headers?.Allow).toBe('GET, DELETE');
  });

  it('write-contended is a 503 that says when to try again; other 503s do not guess', () => {
    const contended = problemResponse(new WriteContendedError());
    expect(contended.statusCode).toBe(503);
    expect(contended.headers?.['Retry-After']).toBe('1');
    expect(
      problemResponse(new UpstreamError('line', 'unavailable')).headers?.['Retry-After'],
    ).toBeUndefined();
  });

  it('turns anything unknown into a generic 500 that leaks nothing', () => {
    const response = problemResponse(new Error('secret token eyJhbGciOi in message'));
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('eyJ');
    expect(JSON.parse(response.body!)).toMatchObject({
      code: 'internal-error',
      detail: 'An unexpected error occurred.',
    });
  });

  it('never echoes the reason of a token failure to the client', () => {
    const response = problemResponse(new InvalidTokenError('line', '"exp" claim timestamp check failed'));
    expect(response.body).not.toContain('exp');
  });
});
