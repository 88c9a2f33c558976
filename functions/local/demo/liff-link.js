// Section "Link in the LIFF app" (pattern 1): POST /links, GET/DELETE /links/me, and the errors.
import { callApi, companyAccessToken, companyToken, lineToken, on } from './demo.js';

const $ = (id) => document.getElementById(id);

on('link', async (button) =>
  callApi('POST', '/links', {
    button,
    token: await lineToken(),
    json: { companyIdToken: await companyToken() },
  }),
);
// Seed 000: the company side may prove itself with an access token instead of an ID token.
on('link-access', async (button) =>
  callApi('POST', '/links', {
    button,
    token: await lineToken(),
    json: { companyAccessToken: await companyAccessToken() },
  }),
);
// Seed 001: what a native app asks for before its LINE SDK login (LIFF cannot carry a nonce).
on('app-nonce', async (button) => callApi('POST', '/links/nonce', { button }));
on('me', async (button) => callApi('GET', '/links/me', { button, token: await lineToken() }));
/**
 * What the unlink notice says for each `Unlink-Result`: only what happened. The app is
 * deauthorized at LINE only with the access token of the service's LINE Login channel.
 */
const UNLINK_NOTICES = {
  deauthorized: [
    'ok',
    "Unlinked. This service's permission to use your LINE account was also withdrawn at LINE.",
  ],
  'deauthorize-not-possible': [
    'ok',
    'Unlinked. The permission you gave this service in LINE could not be withdrawn from here ' +
      '(that needs a LINE access token of the service’s LINE Login channel). To remove it, open ' +
      'LINE Settings > Account > Authorized apps.',
  ],
  'deauthorize-failed': [
    'refused',
    'Unlinked. LINE did not answer, so the permission you gave this service may remain. To ' +
      'remove it, open LINE Settings > Account > Authorized apps.',
  ],
  'not-linked': ['info', 'Nothing was linked, so nothing changed.'],
};

// Unlinking sends the access token (liff.getAccessToken()): with it the API also deauthorizes.
on('unlink', async (button) => {
  const result = await callApi('DELETE', '/links/me', { button, token: await lineToken('access_token') });
  const notice = $('unlink-outcome');
  const [outcome, text] = result.ok
    ? (UNLINK_NOTICES[result.headers.unlinkResult] ?? ['error', 'The answer did not say what happened.'])
    : ['error', 'Nothing was unlinked: the request failed (see the log).'];
  notice.dataset.outcome = outcome;
  notice.textContent = text;
  notice.hidden = false;
});
on('forged', async (button) => {
  const token = await lineToken();
  const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  await callApi('POST', '/links', { button, token: forged, json: { companyIdToken: await companyToken() } });
});
on('no-token', async (button) =>
  callApi('POST', '/links', { button, json: { companyIdToken: await companyToken() } }),
);
on('wrong-slot', async (button) =>
  callApi('POST', '/links', {
    button,
    token: await lineToken(),
    json: { companyIdToken: await lineToken() },
  }),
);
on('bad-json', async (button) =>
  callApi('POST', '/links', { button, token: await lineToken(), body: '{"companyIdToken": ' }),
);
on('unknown-route', async (button) => callApi('GET', '/nowhere', { button }));
