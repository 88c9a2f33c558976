import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgeLinkEventPublisher } from '../../adapters/events/eventbridge-link-event-publisher.js';
import { createLinksStreamHandler } from '../../handlers/links-stream.js';
import type { Wiring } from '../wiring.js';

/**
 * The `links-stream` function's handler, built from a wiring (functions/handlers/links-stream.ts).
 * Its one adapter is built here rather than in adapters.ts, whose other adapters no stream
 * function needs in its bundle. A PutEvents that stalls ends well within the function's 20 s
 * timeout, SDK retries included, so the failure is the function's to log and report rather than
 * a timeout of the whole batch.
 */
export const linksStream = (w: Wiring) =>
  createLinksStreamHandler({
    publisher: new EventBridgeLinkEventPublisher(
      new EventBridgeClient({ requestHandler: { connectionTimeout: 2_000, requestTimeout: 4_000 } }),
      w.config.linkEventBusName,
    ),
  });
