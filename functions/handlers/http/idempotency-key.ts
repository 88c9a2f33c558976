import { InvalidRequestError } from '../../core/errors.js';

/** 1 to 255 printable ASCII characters (space to tilde). */
const KEY = /^[\x20-\x7e]{1,255}$/;

/**
 * The `Idempotency-Key` of a request, or undefined without one. The header is a Structured
 * Field string (draft-ietf-httpapi-idempotency-key-header §2.1, RFC 8941 §3.3.3:
 * `Idempotency-Key: "8e03978e-…"`); a bare token, as many clients send, is taken as it is.
 * @throws InvalidRequestError for an empty, too long or non-ASCII key, or a malformed string.
 */
export function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  const key = value.startsWith('"') ? structuredString(value) : value;
  if (key === undefined || !KEY.test(key)) {
    throw new InvalidRequestError('The Idempotency-Key header is not valid; nothing was sent.', [
      { path: 'Idempotency-Key', message: 'Use 1 to 255 printable ASCII characters.' },
    ]);
  }
  return key;
}

/** The content of an RFC 8941 §4.2.5 string that makes up the whole value; undefined if malformed. */
function structuredString(value: string): string | undefined {
  let out = '';
  for (let i = 1; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\') {
      const next = value[++i];
      if (next !== '"' && next !== '\\') return undefined;
      out += next;
    } else if (c === '"') {
      return i === value.length - 1 ? out : undefined;
    } else {
      out += c;
    }
  }
  return undefined;
}
