/**
 * Test helpers that play the browser at the emulators' authorize pages: open the page, read the
 * pending request ID from its form, and post the tester's decision. Redirects are not followed,
 * so tests see every hop.
 */

/** The `request_id` of the consent form in an authorize page. */
export function requestIdOf(html: string): string {
  const match = /name="request_id" value="([0-9a-f]+)"/.exec(html);
  if (!match) throw new Error(`No consent form in page: ${html.slice(0, 300)}`);
  return match[1]!;
}

/** GET an authorize URL: the consent page (200), or a redirect (302) for errors and auto-login. */
export async function openAuthorize(
  url: string,
): Promise<{ status: number; location: string | null; html: string }> {
  const res = await fetch(url, { redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location'), html: await res.text() };
}

/**
 * Opens `authorizeUrl`, picks `subject` and allows (or cancels); returns the redirect back to the
 * client (`Location`), e.g. `…/callback?code=…&state=…`.
 */
export async function decide(
  authorizeUrl: string,
  subject: string,
  decision: 'allow' | 'cancel' = 'allow',
): Promise<string> {
  const page = await openAuthorize(authorizeUrl);
  if (page.status !== 200)
    throw new Error(`authorize page answered ${page.status} ${page.location ?? page.html.slice(0, 200)}`);
  const url = new URL(authorizeUrl);
  const res = await fetch(`${url.origin}${url.pathname}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ request_id: requestIdOf(page.html), subject, decision }).toString(),
  });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location)
    throw new Error(`decision answered ${res.status}: ${await res.text()}`);
  return location;
}

/** An S256 PKCE pair. */
export async function pkcePair(): Promise<{ verifier: string; challenge: string }> {
  const { createHash, randomBytes } = await import('node:crypto');
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}
