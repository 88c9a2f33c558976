// Local runs only: @line/liff-mock stands in for the LINE app, and the tokens it hands out are
// real ones minted by the LINE Platform emulator of `npm start` (POST /_emulator/tokens), so the
// API verifies them exactly as it verifies LINE's. Drop this file in your own app.
import liff from '@line/liff';
import { LiffMockPlugin } from '@line/liff-mock';

/** The plugin to pass to startLiff({ mock: true, plugins: [...] }). */
export const liffMockPlugin = () => new LiffMockPlugin();

/** Asks an emulator for a token (`body` as the emulator documents it); throws with its message. */
export async function mintEmulatorToken(emulatorUrl, body) {
  const response = await fetch(`${emulatorUrl}/_emulator/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const result = await response.json().catch(() => ({}));
  if (!response.ok)
    throw new Error(`emulator: ${result.error_description ?? result.error ?? response.status}`);
  return result.token;
}

/**
 * Makes the mocked LIFF act as `user`: fresh ID and access tokens from the LINE emulator and
 * the user's profile, as `liff.getIDToken()`, `liff.getAccessToken()` and `liff.getProfile()`
 * return them in the LINE app.
 */
export async function actAsLineUser(lineEmulatorUrl, user) {
  const [idToken, accessToken] = await Promise.all([
    mintEmulatorToken(lineEmulatorUrl, { userId: user.userId, kind: 'id_token' }),
    mintEmulatorToken(lineEmulatorUrl, { userId: user.userId, kind: 'access_token' }),
  ]);
  liff.$mock.set((previous) => ({
    ...previous,
    isInClient: false,
    isLoggedIn: true,
    getIDToken: idToken,
    getAccessToken: accessToken,
    getProfile: { userId: user.userId, displayName: user.displayName },
  }));
}
