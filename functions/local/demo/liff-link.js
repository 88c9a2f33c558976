// Section "Link in the LIFF app" (pattern 1): POST /links, GET/DELETE /links/me, and the errors.
import { callApi, companyAccessToken, companyToken, lineToken, on } from './demo.js';

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
on('unlink', async (button) => callApi('DELETE', '/links/me', { button, token: await lineToken() }));
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
