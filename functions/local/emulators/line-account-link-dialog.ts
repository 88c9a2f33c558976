/**
 * LINE's account-link dialog as the emulator plays it
 * (https://developers.line.biz/en/docs/messaging-api/linking-accounts/): the service sends the user
 * to `{auth}/dialog/bot/accountLink?linkToken=…&nonce=…`; the user confirms; LINE sends the signed
 * `accountLink` event with `link.result` and the nonce, and the user is back in the chat.
 *
 * - `GET /dialog/bot/accountLink` — a valid link token shows the confirmation page for its user;
 *   an expired or used one ends at once with `link.result: failed` (no reply token), as LINE does;
 *   an unknown token or a missing nonce is an error page and sends nothing.
 * - `POST /dialog/bot/accountLink` (form `linkToken`, `nonce`, `decision` = confirm | cancel) —
 *   confirm uses the token (once) and sends `ok`, or `failed` if it expired meanwhile; cancel sends
 *   nothing. Both end on the user's chat page.
 */
import { escapeHtml } from '../../handlers/http/escape-html.js';
import { html, redirect, type AppRequest, type AppResponse, type HttpApp } from './http-app.js';
import { chatPath, emulatorErrorPage } from './line-chat-page.js';
import type { LineMessagingStore } from './line-messaging-store.js';
import type { LineUserActions } from './line-user-actions.js';
import type { LineTestUser } from './test-identities.js';

export interface AccountLinkDialogContext {
  store: LineMessagingStore;
  actions: LineUserActions;
  users: () => readonly LineTestUser[];
  accountName: string;
}

const DIALOG_PATH = '/dialog/bot/accountLink';

function params(req: AppRequest): { linkToken: string; nonce: string } {
  const get = (name: string) => (req.method === 'POST' ? req.form.get(name) : req.query.get(name)) ?? '';
  return { linkToken: get('linkToken'), nonce: get('nonce') };
}

/** Checks shared by GET and POST; an error page, or the token's user. */
function check(
  req: AppRequest,
  ctx: AccountLinkDialogContext,
): AppResponse | { userId: string; linkToken: string; nonce: string } {
  const { linkToken, nonce } = params(req);
  if (!linkToken) return emulatorErrorPage(400, 'Invalid request', 'linkToken is required.');
  // LINE's guide: the nonce is 10–255 characters (https://developers.line.biz/en/docs/messaging-api/linking-accounts/).
  if (nonce.length < 10 || nonce.length > 255) {
    return emulatorErrorPage(400, 'Invalid request', 'nonce is required and must be 10 to 255 characters.');
  }
  const state = ctx.store.inspectLinkToken(linkToken);
  if (!state) return emulatorErrorPage(400, 'Invalid link token', 'LINE did not issue this link token.');
  return { userId: state.userId, linkToken, nonce };
}

function confirmPage(
  ctx: AccountLinkDialogContext,
  user: LineTestUser,
  linkToken: string,
  nonce: string,
): AppResponse {
  const e = escapeHtml;
  return html(
    200,
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Link accounts (LINE emulator)</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#f5f6f7}
main{max-width:28rem;margin:5vh auto;background:#fff;padding:1.5rem;border-radius:12px;border-top:6px solid #06c755}
button{padding:.6rem 1.2rem;margin-right:.5rem;border-radius:8px;border:0;font-size:1rem}
#confirm{background:#06c755;color:#fff}
</style>
</head>
<body>
<main>
<h1>Link accounts</h1>
<p>${e(ctx.accountName)} wants to link your LINE account <strong id="user-name">${e(user.displayName)}</strong>
with your account on its service.</p>
<form method="post" action="${DIALOG_PATH}">
<input type="hidden" name="linkToken" value="${e(linkToken)}">
<input type="hidden" name="nonce" value="${e(nonce)}">
<button id="confirm" name="decision" value="confirm">Link</button>
<button id="cancel" name="decision" value="cancel">Cancel</button>
</form>
</main>
</body>
</html>
`,
    {
      'content-security-policy':
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
    },
  );
}

export function registerAccountLinkDialog(app: HttpApp, ctx: AccountLinkDialogContext): void {
  const userOf = (userId: string) => ctx.users().find((u) => u.userId === userId);

  app.get(DIALOG_PATH, async (req) => {
    const checked = check(req, ctx);
    if ('status' in checked) return checked;
    const { userId, linkToken, nonce } = checked;
    const state = ctx.store.inspectLinkToken(linkToken);
    if (state && !state.valid) {
      ctx.store.useLinkToken(linkToken);
      await ctx.actions.accountLink(userId, 'failed', nonce, state.reason);
      return redirect(chatPath(userId), 303);
    }
    const user = userOf(userId);
    if (!user) return emulatorErrorPage(400, 'Invalid link token', 'The link token belongs to no test user.');
    return confirmPage(ctx, user, linkToken, nonce);
  });

  app.post(DIALOG_PATH, async (req) => {
    const checked = check(req, ctx);
    if ('status' in checked) return checked;
    const { userId, linkToken, nonce } = checked;
    if (req.form.get('decision') !== 'confirm') {
      ctx.store.note(userId, 'system', 'You cancelled linking your account.');
      return redirect(chatPath(userId), 303);
    }
    const used = ctx.store.useLinkToken(linkToken);
    if (used?.valid) await ctx.actions.accountLink(userId, 'ok', nonce);
    else await ctx.actions.accountLink(userId, 'failed', nonce, used?.reason);
    return redirect(chatPath(userId), 303);
  });
}
