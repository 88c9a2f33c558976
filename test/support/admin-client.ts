import { randomBytes } from 'node:crypto';
import {
  localIamCredentials,
  signAdminRequest,
  type LocalIamCredentials,
} from '../../functions/local/sigv4.js';
import type { ApiResponse } from './http.js';

/** Fresh local admin credentials for one suite. */
export function testAdminCredentials(): LocalIamCredentials {
  return localIamCredentials({
    LOCAL_ADMIN_ACCESS_KEY_ID: `AKIATEST${randomBytes(4).toString('hex').toUpperCase()}`,
    LOCAL_ADMIN_SECRET_ACCESS_KEY: randomBytes(30).toString('base64url'),
  });
}

/**
 * Calls an admin route signed with SigV4 (what a company's AWS SDK client does), or with a
 * deliberately broken signature for the negative cases.
 */
export async function adminCall(
  baseUrl: string,
  method: string,
  path: string,
  credentials: Pick<LocalIamCredentials, 'accessKeyId' | 'secretAccessKey'> | undefined,
  options: { json?: unknown; signingDate?: Date; tamperBody?: string; idempotencyKey?: string } = {},
): Promise<ApiResponse> {
  const url = `${baseUrl}${path}`;
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  let headers: Record<string, string> = body ? { 'content-type': 'application/json' } : {};
  // A structured-field string (RFC 8941), as the IETF draft's Idempotency-Key header is.
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = `"${options.idempotencyKey}"`;
  if (credentials) {
    headers = await signAdminRequest(url, { method, body, headers }, credentials, {
      signingDate: options.signingDate,
    });
  }
  delete headers.host;
  const response = await fetch(url, { method, headers, body: options.tamperBody ?? body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}
