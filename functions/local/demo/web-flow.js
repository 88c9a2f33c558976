// Section "Link on the web": starts the redirect flow at GET /auth/line/login with this page as
// returnTo (the dev server allowlists it in APP_RETURN_URLS), and shows the `result` the flow
// comes back with.
import { callApi, lineToken, log, on, showNextTo } from './demo.js';

const $ = (id) => document.getElementById(id);
/** This page, exactly as APP_RETURN_URLS lists it (no query, no fragment). */
const returnTo = `${location.origin}${location.pathname}`;

function loginHref() {
  const params = new URLSearchParams({ returnTo });
  if ($('web-disable-auto-login').checked) params.set('disable_auto_login', 'true');
  return `/auth/line/login?${params}`;
}

const refresh = () => ($('web-link').href = loginHref());
$('web-disable-auto-login').addEventListener('change', refresh);
refresh();

/** What each `result` of the flow means, and how it is coloured (the flow has no HTTP status to show). */
const RESULTS = {
  linked: ['ok', 'the accounts are now linked'],
  already_linked: ['ok', 'this pair was linked before'],
  conflict: ['refused', 'one of the two accounts is already linked to someone else; nothing changed'],
  cancelled: ['info', 'a sign-in was cancelled; nothing changed'],
  error: ['error', 'the flow failed (see the dev server output); nothing changed'],
};

// Back from the flow: show the result once, then drop it from the address bar.
const result = new URLSearchParams(location.search).get('result');
if (result) {
  const [outcome, text] = RESULTS[result] ?? ['error', 'unknown result'];
  $('web-result-value').textContent = result;
  $('web-result-text').textContent = text;
  $('web-result').dataset.outcome = outcome;
  $('web-result').hidden = false;
  showNextTo('web-link', outcome, `came back with result=${result}`);
  log(
    'web flow came back',
    undefined,
    { result },
    outcome === 'ok' ? 'ok' : outcome === 'info' ? 'info' : outcome,
  );
  history.replaceState(null, '', returnTo);
  // The result is far below the fold on a phone: bring it into view and focus it, so the user
  // (and a screen reader) lands on what happened.
  $('web-result').scrollIntoView({ block: 'center' });
  $('web-result').focus({ preventScroll: true });
}

on('web-company-start', async (button) => {
  const { body, ok } = await callApi('POST', '/auth/company/start', {
    button,
    token: await lineToken(),
    json: { returnTo },
  });
  if (ok && body && typeof body.authorizeUrl === 'string') location.assign(body.authorizeUrl);
});
