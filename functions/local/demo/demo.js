// The demo LIFF app's shell: configuration, LIFF start-up (liff-mock + the LINE emulator locally,
// the real LINE with a real LIFF_ID), the identity pickers, the per-button results and the log.
// Each section of the page is its own module (web-flow.js, member-data.js, …) built on the
// exports below; esbuild bundles them when `npm start` serves the page.
import { callApi as fetchApi, lineCredential, startLiff } from './liff-client.js';
import { actAsLineUser, liffMockPlugin, mintEmulatorToken } from './liff-emulator.js';

const $ = (id) => document.getElementById(id);

/** Settings from the dev server (GET config.json): emulator URLs, LIFF ID, member factors. */
export const config = await (await fetch('config.json')).json();
const apiBase = config.apiBase ?? location.origin;

/** Where tokens come from: `mock` (liff-mock + LINE emulator), `liff` (a real LIFF app) or `none`. */
export const lineMode = config.liffId ? 'liff' : config.lineEmulator ? 'mock' : 'none';

// ------------------------------------------------------------------ results and log

const STATUS_TEXT = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  302: 'Found',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** ok (2xx/3xx), refused (4xx: the API said no, on purpose), error (5xx, or no answer at all). */
export function outcomeOf(status) {
  if (status >= 200 && status < 400) return 'ok';
  if (status >= 400 && status < 500) return 'refused';
  return 'error';
}

/** One line that says what happened: `429 Too Many Requests · too-many-attempts · Retry-After: 30 s`. */
export function describeResult(result) {
  const parts = [`${result.status} ${STATUS_TEXT[result.status] ?? ''}`.trim()];
  if (result.code) parts.push(result.code);
  if (result.headers?.retryAfter) parts.push(`Retry-After: ${result.headers.retryAfter} s`);
  if (result.headers?.wwwAuthenticate) parts.push(`WWW-Authenticate: ${result.headers.wwwAuthenticate}`);
  if (result.headers?.allow) parts.push(`Allow: ${result.headers.allow}`);
  if (result.headers?.unlinkResult) parts.push(result.headers.unlinkResult);
  return parts.join(' · ');
}

/** The `<output>` right after a button (created on first use). */
function outputFor(button) {
  const id = `${button.id}-result`;
  let output = document.getElementById(id);
  if (!output) {
    output = document.createElement('output');
    output.id = id;
    output.className = 'result-inline';
    output.setAttribute('for', button.id);
    output.setAttribute('aria-live', 'polite');
    button.after(output);
  }
  return output;
}

/** Shows `text` next to `button`, coloured by `outcome` (ok, refused, error, info, pending). */
export function showNextTo(button, outcome, text) {
  const output = outputFor(typeof button === 'string' ? $(button) : button);
  output.dataset.outcome = outcome;
  output.textContent = text;
}

/**
 * Appends an entry to the log. `status` is the HTTP status the server really sent, or
 * undefined when nothing was sent or received (then the entry says so; no status is made up).
 */
export function log(label, status, body, outcome = status === undefined ? 'error' : outcomeOf(status)) {
  const li = document.createElement('li');
  li.dataset.outcome = outcome;
  // Only the newest entry is open, so the log stays short on a phone.
  for (const open of $('log').querySelectorAll('details[open]')) open.open = false;
  const entry = document.createElement('details');
  entry.open = true;
  const head = document.createElement('summary');
  const badge = document.createElement('span');
  badge.className = 'status';
  badge.textContent = status === undefined ? (outcome === 'info' ? 'info' : 'not sent') : String(status);
  const text = document.createElement('span');
  text.className = 'label';
  text.textContent = ` ${label}`;
  head.append(badge, text);
  const pre = document.createElement('pre');
  pre.textContent = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  entry.append(head, pre);
  li.append(entry);
  $('log').prepend(li);
}

/**
 * Calls the API, logs the exchange and, with `button`, shows the result next to it. Returns
 * the result of liff-client.js `callApi` (status, code, headers, body).
 */
export async function callApi(method, path, { button, ...options } = {}) {
  const result = await fetchApi(apiBase, method, path, options);
  log(`${method} ${path}`, result.status, result.body ?? '(no body)');
  if (button) showNextTo(button, outcomeOf(result.status), describeResult(result));
  return result;
}

// ------------------------------------------------------------------ identities (LIFF)

let lineUsers = [];
let liffReady;

/**
 * A LINE credential through the LIFF SDK (`liff.getIDToken()` / `getAccessToken()`): of `kind`,
 * else of the kind selected on the page.
 */
export async function lineToken(kind = $('line-kind').value) {
  if (lineMode === 'none') throw new Error('No LINE: the LINE emulator is off and no LIFF_ID is set.');
  await liffReady;
  if (lineMode === 'mock') {
    const user = lineUsers.find((u) => u.userId === $('line-user').value);
    if (!user) throw new Error('Pick a LINE test user first.');
    await actAsLineUser(config.lineEmulator, user); // fresh tokens for the selected user
  }
  const token = lineCredential(kind);
  if (!token) throw new Error('LIFF has no token: log in with LINE first.');
  return token;
}

/** A fresh company ID token of the selected member, minted by the company IdP emulator. */
export const companyToken = () => {
  if (!config.companyEmulator)
    throw new Error('The company IdP emulator is off (COMPANY_OIDC_ISSUER is set).');
  return mintEmulatorToken(config.companyEmulator, { sub: $('member').value });
};
/** An opaque access token of the company IdP emulator for the selected member (checked by UserInfo or introspection). */
export const companyAccessToken = () => {
  if (!config.companyEmulator)
    throw new Error('The company IdP emulator is off (COMPANY_OIDC_ISSUER is set).');
  return mintEmulatorToken(config.companyEmulator, { sub: $('member').value, kind: 'access' });
};
/** The selected member ID. */
export const selectedMember = () => $('member').value;

/**
 * Wires a button: runs `action(button)` on click, shows "…" while it runs and, when the action
 * fails before an answer came (no token, network down), says so next to the button.
 */
export function on(id, action) {
  const button = $(id);
  if (!button) return;
  button.addEventListener('click', async (event) => {
    if (button.tagName === 'A') event.preventDefault();
    showNextTo(button, 'pending', '…');
    try {
      await action(button);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      showNextTo(button, 'error', `not sent: ${message}`);
      log(button.textContent.trim(), undefined, message);
    }
  });
}

/** Disables every control that needs `what` (`line`, `company`, `reset`) and says why. */
function disableNeeding(what, reason) {
  for (const element of document.querySelectorAll(`[data-needs~="${what}"]`)) {
    element.disabled = true;
    element.title = reason;
    if (element.tagName === 'A') element.setAttribute('aria-disabled', 'true');
  }
}

function notice(text) {
  const li = document.createElement('li');
  li.textContent = text;
  $('environment-notices').append(li);
  $('environment').hidden = false;
}

async function setUpIdentities() {
  $('line-mode').textContent =
    lineMode === 'mock'
      ? 'LIFF SDK with @line/liff-mock; tokens minted by the LINE emulator'
      : lineMode === 'liff'
        ? `LIFF app ${config.liffId} on the real LINE Platform`
        : 'none';
  if (lineMode === 'none') {
    const why = `The LINE emulator is off (LINE_API_BASE=${config.lineApiBase}) and no LIFF_ID is set, so this page cannot get LINE tokens.`;
    notice(`${why} Set LIFF_ID to your LIFF app's ID, or unset LINE_API_BASE to use the emulator.`);
    disableNeeding('line', why);
    $('line-user').add(new Option('(no LINE emulator)', ''));
  } else if (lineMode === 'mock') {
    liffReady = startLiff({ liffId: 'local-emulator', mock: true, plugins: [liffMockPlugin()] });
    ({ users: lineUsers } = await (await fetch(`${config.lineEmulator}/_emulator/users`)).json());
    for (const user of lineUsers)
      $('line-user').add(new Option(`${user.displayName} (${user.userId.slice(0, 9)}…)`, user.userId));
    await liffReady;
  } else {
    liffReady = startLiff({ liffId: config.liffId });
    const liff = await liffReady;
    $('line-user').add(new Option(liff.isInClient() ? 'you (in the LINE app)' : 'you (LINE Login)', ''));
    $('line-user').disabled = true;
  }

  if (!config.companyEmulator) {
    const why = `The company IdP emulator is off (COMPANY_OIDC_ISSUER=${config.companyIssuer}): company ID tokens cannot be minted here.`;
    notice(`${why} Pattern 1 (POST /links) needs a token from your IdP.`);
    disableNeeding('company', why);
    $('member').add(new Option('(no company emulator)', ''));
  } else {
    const { members } = await (await fetch(`${config.companyEmulator}/_emulator/members`)).json();
    for (const member of members)
      $('member').add(new Option(`${member.memberId} ${member.name}`, member.memberId));
  }
  if (!config.resetAvailable) {
    disableNeeding('reset', 'DYNAMODB_ENDPOINT points to an engine this dev server did not start.');
  }
}

$('clear').addEventListener('click', () => ($('log').innerHTML = ''));
on('reset', async (button) => {
  const response = await fetch('/_dev/reset', { method: 'POST' });
  const body = await response.json();
  log('POST /_dev/reset', response.status, body);
  for (const output of document.querySelectorAll('output.result-inline'))
    if (output !== button.nextSibling) output.remove();
  showNextTo(
    button,
    outcomeOf(response.status),
    response.ok
      ? `${response.status} · emptied ${body.tables.length} tables`
      : `${response.status} · ${body.detail}`,
  );
});

await setUpIdentities();
