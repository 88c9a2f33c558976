// The demo "LIFF app": it gets tokens from the emulators (as LIFF and the company IdP would give
// them to a real app) and calls the API with them. Plain ES module, no build step.
const $ = (id) => document.getElementById(id);
/** Emulator URLs and settings from the dev server. */
export const config = await (await fetch('config.json')).json();
const api = location.origin;

/** Appends one request/response pair to the log. */
export function log(label, status, body) {
  const li = document.createElement('li');
  const head = document.createElement('div');
  head.innerHTML = '<span class="status"></span> <span class="label"></span>';
  head.querySelector('.status').textContent = String(status);
  head.querySelector('.status').className = `status ${status >= 200 && status < 400 ? 'ok' : 'err'}`;
  head.querySelector('.label').textContent = label;
  const pre = document.createElement('pre');
  pre.textContent = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  li.append(head, pre);
  $('log').prepend(li);
}

/** Calls the API and logs the exchange; returns the parsed body. */
export async function callApi(method, path, { token, json, body, contentType } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (json !== undefined || body !== undefined) headers['content-type'] = contentType ?? 'application/json';
  const response = await fetch(`${api}${path}`, {
    method,
    headers,
    body: json !== undefined ? JSON.stringify(json) : body,
  });
  const text = await response.text();
  let parsed = text;
  try {
    parsed = text ? JSON.parse(text) : '(no body)';
  } catch {
    // not JSON: show the text as it came
  }
  log(`${method} ${path}`, response.status, parsed);
  return parsed;
}

async function mint(base, body) {
  const response = await fetch(`${base}/_emulator/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const result = await response.json();
  if (!response.ok) throw new Error(JSON.stringify(result));
  return result.token;
}

/** A fresh LINE credential of the selected user and kind, minted by the LINE emulator. */
export const lineToken = () =>
  mint(config.lineEmulator, { userId: $('line-user').value, kind: $('line-kind').value });
/** A fresh company ID token of the selected member, minted by the company IdP emulator. */
export const companyToken = () => mint(config.companyEmulator, { sub: $('member').value });
/** The selected member ID. */
export const selectedMember = () => $('member').value;

async function fill() {
  if (!config.lineEmulator || !config.companyEmulator) {
    log(
      'demo',
      0,
      'The emulators are off because LINE_API_BASE / COMPANY_OIDC_ISSUER are set; this page needs them.',
    );
    return;
  }
  const { users } = await (await fetch(`${config.lineEmulator}/_emulator/users`)).json();
  for (const user of users)
    $('line-user').add(new Option(`${user.displayName} (${user.userId.slice(0, 9)}…)`, user.userId));
  const { members } = await (await fetch(`${config.companyEmulator}/_emulator/members`)).json();
  for (const member of members)
    $('member').add(new Option(`${member.memberId} ${member.name}`, member.memberId));
}

const on = (id, action) =>
  $(id).addEventListener('click', async () => {
    try {
      await action();
    } catch (error) {
      log(id, 0, String(error));
    }
  });

on('link', async () =>
  callApi('POST', '/links', { token: await lineToken(), json: { companyIdToken: await companyToken() } }),
);
on('me', async () => callApi('GET', '/links/me', { token: await lineToken() }));
on('unlink', async () => callApi('DELETE', '/links/me', { token: await lineToken() }));
on('forged', async () => {
  const token = await lineToken();
  const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  await callApi('POST', '/links', { token: forged, json: { companyIdToken: await companyToken() } });
});
on('no-token', async () => callApi('POST', '/links', { json: { companyIdToken: await companyToken() } }));
on('wrong-slot', async () =>
  callApi('POST', '/links', { token: await lineToken(), json: { companyIdToken: await lineToken() } }),
);
on('bad-json', async () =>
  callApi('POST', '/links', { token: await lineToken(), body: '{"companyIdToken": ' }),
);
on('unknown-route', async () => callApi('GET', '/nowhere'));
$('clear').addEventListener('click', () => ($('log').innerHTML = ''));

await fill();
