// "Link on the web" (issue 3): starts the redirect flow at GET /auth/line/login with this page as
// returnTo (the dev server allowlists it in APP_RETURN_URLS), and shows the `result` the flow
// comes back with. Plain ES module, no build step.
import { callApi, lineToken, log } from './demo.js';

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

// Back from the flow: show the result once, then drop it from the address bar.
const result = new URLSearchParams(location.search).get('result');
if (result) {
  $('web-result-value').textContent = result;
  $('web-result').hidden = false;
  log('web flow result', result === 'linked' || result === 'already_linked' ? 200 : 400, { result });
  history.replaceState(null, '', returnTo);
}

$('web-company-start').addEventListener('click', async () => {
  try {
    const body = await callApi('POST', '/auth/company/start', {
      token: await lineToken(),
      json: { returnTo },
    });
    if (body && typeof body.authorizeUrl === 'string') location.assign(body.authorizeUrl);
  } catch (error) {
    log('web-company-start', 0, String(error));
  }
});
