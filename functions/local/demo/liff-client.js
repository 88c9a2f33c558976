// The part of the demo to copy into your own LIFF app: start LIFF, take the user's LINE token,
// call the API. It depends on nothing but @line/liff (bundle it with esbuild, Vite, webpack…).
//
//   const liff = await startLiff({ liffId: 'your-liff-id' });
//   const result = await callApi(API_BASE, 'POST', '/links', {
//     token: liff.getIDToken(),
//     json: { companyIdToken },
//   });
//   if (result.status === 201 || result.status === 200) { /* linked: result.body is the link */ }
//   else if (result.code === 'company-user-already-linked') { /* … */ }
//
//   // Unlink with the access token: only it lets the API deauthorize the app at LINE.
//   const unlinked = await callApi(API_BASE, 'DELETE', '/links/me', { token: liff.getAccessToken() });
//   unlinked.headers.unlinkResult; // 'deauthorized' | 'deauthorize-not-possible' | 'deauthorize-failed' | 'not-linked'
import liff from '@line/liff';

/**
 * Initializes LIFF. Outside the LINE app a user who is not logged in is sent to LINE Login
 * (https://developers.line.biz/en/reference/liff/#login); inside LINE they always are.
 * Plugins (such as @line/liff-mock for local runs) are installed before init.
 */
export async function startLiff({ liffId, mock = false, plugins = [], login = true }) {
  for (const plugin of plugins) liff.use(plugin);
  await liff.init(mock ? { liffId, mock: true } : { liffId });
  if (login && !liff.isInClient() && !liff.isLoggedIn()) liff.login({ redirectUri: location.href });
  return liff;
}

/**
 * The credential the API takes as `Authorization: Bearer`: the ID token (a JWT the API verifies
 * itself, https://developers.line.biz/en/reference/liff/#get-id-token) or the access token
 * (verified at LINE, https://developers.line.biz/en/reference/liff/#get-access-token).
 * Needs the `openid` scope for the ID token. Null when the user is not logged in.
 */
export function lineCredential(kind = 'id_token') {
  return kind === 'access_token' ? liff.getAccessToken() : liff.getIDToken();
}

/**
 * Calls the API and returns what a UI needs to tell the user what happened: the HTTP status,
 * the problem `code` of an error (RFC 9457 `application/problem+json`, stable values listed in
 * /openapi.json), the headers that matter (Retry-After on 429, WWW-Authenticate on 401,
 * Unlink-Result on DELETE /links/me) and the parsed body. Network failures throw.
 */
export async function callApi(apiBase, method, path, { token, json, body, contentType } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (json !== undefined || body !== undefined) headers['content-type'] = contentType ?? 'application/json';
  const response = await fetch(`${apiBase}${path}`, {
    method,
    headers,
    body: json !== undefined ? JSON.stringify(json) : body,
  });
  const text = await response.text();
  let parsed = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text as it came
  }
  const problem = (response.headers.get('content-type') ?? '').startsWith('application/problem+json');
  return {
    status: response.status,
    ok: response.ok,
    code: problem && parsed && typeof parsed === 'object' ? parsed.code : undefined,
    headers: {
      retryAfter: response.headers.get('retry-after') ?? undefined,
      wwwAuthenticate: response.headers.get('www-authenticate') ?? undefined,
      allow: response.headers.get('allow') ?? undefined,
      unlinkResult: response.headers.get('unlink-result') ?? undefined,
    },
    body: parsed,
  };
}
