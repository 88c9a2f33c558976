import { InvalidRequestError } from '../../../../functions/core/errors.js';
import { idempotencyKeyOf } from '../../../../functions/handlers/http/idempotency-key.js';
import { idempotencyKeyHeader } from '../../../../functions/messages/admin-messages-client.js';

describe('Idempotency-Key header', () => {
  test('absent → no key', () => {
    expect(idempotencyKeyOf(undefined)).toBeUndefined();
  });

  test.each([
    [
      'a Structured Field string (the draft)',
      '"8e03978e-40d5-43e8-bc93-6894a57f9324"',
      '8e03978e-40d5-43e8-bc93-6894a57f9324',
    ],
    ['a bare token', '8e03978e-40d5-43e8-bc93-6894a57f9324', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['escapes in a string', '"a\\"b\\\\c"', 'a"b\\c'],
    ['spaces inside a string', '"  two words "', '  two words '],
    ['255 characters', 'k'.repeat(255), 'k'.repeat(255)],
  ])('%s', (_label, header, key) => {
    expect(idempotencyKeyOf(header)).toBe(key);
  });

  test.each([
    ['empty', ''],
    ['an empty string', '""'],
    ['256 characters', 'k'.repeat(256)],
    ['non-ASCII', 'clé'],
    ['a control character', 'a\tb'],
    ['an unterminated string', '"abc'],
    ['two strings (the header sent twice)', '"a", "b"'],
    ['a bad escape', '"a\\nb"'],
  ])('%s → 400 invalid-request naming the header', (_label, header) => {
    let error: unknown;
    try {
      idempotencyKeyOf(header);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).errors).toEqual([
      { path: 'Idempotency-Key', message: 'Use 1 to 255 printable ASCII characters.' },
    ]);
  });

  test('what the send command line writes reads back as the same key', () => {
    for (const key of ['plain', 'with "quotes"', 'back\\slash', ' edge '])
      expect(idempotencyKeyOf(idempotencyKeyHeader(key))).toBe(key);
  });
});
