import { jest } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { documentClient } from '../../functions/composition/adapters.js';
import { createWiring, type Wiring } from '../../functions/composition/wiring.js';

/** A loopback port nothing listens on (the discard port): any real call there fails at once. */
const CLOSED = 'http://127.0.0.1:9';

/** The Messaging API channel secret of {@link offlineWiring} (signs webhook bodies in tests). */
export const OFFLINE_MESSAGING_SECRET = 'offline-messaging-secret-0123456';

/**
 * A wiring of the handlers' real adapters for unit tests that invoke handlers without a database
 * or emulators: every endpoint points at a closed loopback port, so a request that got past the
 * handler's refusals could not quietly succeed. Build the handler with its builder of
 * functions/composition/handlers/ and this wiring.
 */
export function offlineWiring(extra: Record<string, string> = {}): Wiring {
  return createWiring(
    {
      LINE_CHANNEL_ID: '1234567890',
      LINE_CHANNEL_SECRET: 'offline-line-channel-secret-0123',
      LINE_API_BASE: CLOSED,
      LINE_AUTH_BASE: CLOSED,
      COMPANY_OIDC_ISSUER: CLOSED,
      COMPANY_OIDC_CLIENT_ID: 'line-id-link',
      COMPANY_OIDC_CLIENT_SECRET: 'offline-company-secret',
      LINE_MESSAGING_CHANNEL_ID: '2234567890',
      LINE_MESSAGING_CHANNEL_SECRET: OFFLINE_MESSAGING_SECRET,
      PUBLIC_BASE_URL: 'http://127.0.0.1:9',
      DYNAMODB_ENDPOINT: CLOSED,
      OUTBOUND_TIMEOUT_MS: '500',
      ...extra,
    },
    'in-process',
  );
}

/**
 * Watches everything a handler of `wiring` could write or call: the wiring's one DynamoDB
 * document client (mocked; every command fails) and `fetch` (LINE, the company IdP; every call
 * fails). Tests of refusals assert both stayed untouched.
 */
export function watchOutboundCalls(wiring: Wiring) {
  const dynamo = mockClient(documentClient(wiring));
  dynamo.onAnyCommand().rejects(new Error('unit handler tests have no database'));
  const fetch = jest.spyOn(globalThis, 'fetch').mockRejectedValue(new TypeError('fetch failed'));
  return {
    dynamo,
    fetch,
    /** Nothing was sent to DynamoDB or over HTTP. */
    expectUntouched(): void {
      expect(dynamo.calls()).toHaveLength(0);
      expect(fetch).not.toHaveBeenCalled();
    },
    reset(): void {
      dynamo.resetHistory();
      fetch.mockClear();
    },
  };
}
