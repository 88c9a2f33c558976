import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { linkItemChangeOf } from '../adapters/dynamo/dynamo-stream-record.js';
import { toLinkEvent, type LinkItemChange } from '../core/link-events.js';
import { switchRichMenu, type SwitchRichMenuPorts } from '../core/use-cases/switch-rich-menu.js';
import { errorFields } from '../observability/error-fields.js';
import { invocationLogging, logger } from '../observability/logger.js';
import { countMetric } from '../observability/metrics.js';

/** What the rich menu stream function needs: the use case's ports. */
export type RichMenuStreamDeps = SwitchRichMenuPorts;

/**
 * DynamoDB Streams (links table, NEW_AND_OLD_IMAGES) → LINE's per-user rich menus: each link
 * made or removed, by any path, switches its user's menu after it committed
 * (functions/core/use-cases/switch-rich-menu.ts), one record after another in the shard's order,
 * so a user's last change wins. Only the `LINE#…` side of a link counts (one record per change),
 * and changes that are not of link status (reachability, the recorded menu) are skipped.
 *
 * A record LINE could not answer for after the in-process retries is reported as the batch's
 * first failure: Lambda retries the batch from it (ReportBatchItemFailures), the mapping bounds
 * the retries and sends what still fails to its on-failure destination
 * (lib/constructs/rich-menu-switch.ts). A record that can never be read is logged and skipped,
 * as by the links stream function (functions/handlers/links-stream.ts).
 * https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
 */
export function createRichMenuStreamHandler(deps: RichMenuStreamDeps) {
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
    .use(invocationLogging())
    .handler(async (event) => {
      for (const record of event.Records) {
        const ids = { eventID: record.eventID, sequenceNumber: record.dynamodb?.SequenceNumber };
        let change: LinkItemChange;
        try {
          change = linkItemChangeOf(record);
        } catch (error) {
          logger.error('rich menu stream record skipped: it cannot be read', {
            ...ids,
            error: errorFields(error),
          });
          countMetric('RichMenuStreamRecordsSkipped');
          continue;
        }
        const linkEvent = toLinkEvent(change);
        if (!linkEvent) continue;
        try {
          const recorded = (change.newItem ?? change.oldItem)?.richMenuId;
          const outcome = await switchRichMenu(
            typeof recorded === 'string' ? { ...linkEvent, recordedMenu: recorded } : linkEvent,
            deps,
          );
          if (outcome === 'rich-menu-failed') {
            logger.warn('rich menu not switched: LINE refused it', { ...ids, type: linkEvent.type });
            countMetric('RichMenuSwitchesRefused');
          } else if (outcome !== 'none') countMetric('RichMenusSwitched');
        } catch (error) {
          logger.error('rich menu not switched: the batch is retried from this record', {
            ...ids,
            type: linkEvent.type,
            error: errorFields(error),
          });
          countMetric('RichMenuSwitchesRetried');
          if (!ids.sequenceNumber) throw error;
          return { batchItemFailures: [{ itemIdentifier: ids.sequenceNumber }] };
        }
      }
      return { batchItemFailures: [] };
    });
}
