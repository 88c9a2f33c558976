import { AuthorizationFailedError, DomainError, InvalidRequestError, LoginStateError } from '../errors.js';
import { LINK_TOKEN_PATTERN, NONCE_BYTES, type MessagingSettings } from '../webhook-events.js';
import type { AccountLinkNonceStore, LinkTokenDirectory } from '../ports/index.js';
import type { LoginSession } from '../login-session.js';
import type { LinkAccountsPorts } from './link-accounts.js';
import {
  consumeSession,
  finishCompanyLogin,
  openLeg,
  redeemAndVerify,
  type CallbackInput,
  type CompanyCallbackOutcome,
  type LegStarted,
  type WebLoginPorts,
} from './link-by-web-login.js';

/**
 * Pattern 4, the browser half of LINE's account-link flow for the Messaging API
 * (https://developers.line.biz/en/docs/messaging-api/linking-accounts/):
 *
 * 1. {@link startAccountLink}: the linking URL the bot sent (`/account-link/start?linkToken=…`)
 *    opens the company IdP leg with the web flow's rules (state, nonce, PKCE, browser binding,
 *    TTL, one-time), carrying the link token.
 * 2. {@link completeCompanyCallback}: the company IdP's callback (shared with the web flow)
 *    consumes that session; for an account-link session it verifies the company user, stores a
 *    fresh one-time nonce with the company user ID and sends the browser to LINE's account-link
 *    dialog. LINE then sends the signed `accountLink` event, which links (handle-line-webhook.ts).
 *
 * The LINE user is never taken from the browser: only LINE's signed event names it.
 */

/** Ports of the account-link browser leg. */
export interface AccountLinkPorts extends WebLoginPorts {
  nonces: Pick<AccountLinkNonceStore, 'create'>;
  /** Who each link token was issued for: the nonce is bound to that LINE user. */
  linkTokens: Pick<LinkTokenDirectory, 'find'>;
  /** `LINE_AUTH_BASE`: LINE's authorization origin, where the account-link dialog lives. */
  lineAuthBase: string;
  messaging: Pick<MessagingSettings, 'nonceTtlSeconds'>;
}

/**
 * `GET /account-link/start?linkToken=…`: opens the company leg for the link token.
 * @throws InvalidRequestError when the link token is missing, malformed, or not one the bot
 *   issued in the last 10 minutes (nothing is stored)
 */
export async function startAccountLink(
  input: { linkToken?: string },
  ports: WebLoginPorts & { linkTokens: Pick<LinkTokenDirectory, 'find'> },
): Promise<LegStarted> {
  if (!input.linkToken || !LINK_TOKEN_PATTERN.test(input.linkToken)) {
    throw new InvalidRequestError('linkToken is missing or malformed.', [
      { path: 'linkToken', message: 'The linking URL is incomplete; ask the LINE Official Account again.' },
    ]);
  }
  if (!(await ports.linkTokens.find(input.linkToken, ports.clock.now()))) throw expiredLinkToken();
  const returnTo = ports.settings.returnUrls[0];
  if (!returnTo) throw new LoginStateError('unknown');
  return openLeg('company', { returnTo, linkToken: input.linkToken }, ports, {});
}

/** Outcome of the company callback, for either flow. */
export type CompanyCallbackResult =
  | ({ flow: 'web' } & CompanyCallbackOutcome)
  | { flow: 'account-link'; kind: 'dialog'; redirectTo: string }
  | { flow: 'account-link'; kind: 'failed'; error: DomainError };

/**
 * `GET /auth/company/callback`: consumes the company session once, then finishes the web flow
 * (link and back to the app) or the account-link flow (nonce and on to LINE's dialog).
 * @throws LoginStateError before anything was consumed
 */
export async function completeCompanyCallback(
  input: CallbackInput,
  ports: WebLoginPorts & LinkAccountsPorts & Partial<Omit<AccountLinkPorts, keyof WebLoginPorts>>,
): Promise<CompanyCallbackResult> {
  const session = await consumeSession('company', input, ports);
  if (session.linkToken === undefined) {
    return { flow: 'web', ...(await finishCompanyLogin(session, input, ports)) };
  }
  const { nonces, linkTokens, lineAuthBase, messaging } = ports;
  if (!nonces || !linkTokens || !lineAuthBase || !messaging) throw new LoginStateError('unknown');
  return finishAccountLink(session, input, { ...ports, nonces, linkTokens, lineAuthBase, messaging });
}

async function finishAccountLink(
  session: LoginSession,
  input: CallbackInput,
  ports: AccountLinkPorts,
): Promise<CompanyCallbackResult> {
  try {
    const company = await redeemAndVerify(
      ports.companyLogin,
      'company',
      input,
      session,
      ports.settings.companyRedirectUri,
    );
    const lineUserId = await ports.linkTokens.find(session.linkToken!, ports.clock.now());
    if (!lineUserId) throw expiredLinkToken();
    const nonce = Buffer.from(ports.random.hex(NONCE_BYTES), 'hex').toString('base64url');
    await ports.nonces.create({
      nonce,
      companyUserId: company.userId,
      lineUserId,
      expiresAt: Math.floor(ports.clock.now().getTime() / 1000) + ports.messaging.nonceTtlSeconds,
    });
    const dialog = new URL(`${ports.lineAuthBase}/dialog/bot/accountLink`);
    dialog.searchParams.set('linkToken', session.linkToken!);
    dialog.searchParams.set('nonce', nonce);
    return { flow: 'account-link', kind: 'dialog', redirectTo: dialog.href };
  } catch (error) {
    if (error instanceof AuthorizationFailedError || error instanceof DomainError)
      return { flow: 'account-link', kind: 'failed', error };
    throw error;
  }
}

/** The link token is not one the bot issued, or its 10 minutes are over. */
function expiredLinkToken(): InvalidRequestError {
  return new InvalidRequestError('The linking URL has expired.', [
    {
      path: 'linkToken',
      message: 'Linking URLs are valid for 10 minutes; ask the LINE Official Account again.',
    },
  ]);
}
