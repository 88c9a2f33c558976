import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { switchRichMenu, type SwitchRichMenuPorts } from '../core/use-cases/switch-rich-menu.js';
import { invocationLogging, logger } from '../observability/logger.js';
import { countMetric } from '../observability/metrics.js';
import { runLinkStream } from './stream/link-stream-records.js';

/** What the rich menu stream function needs: the use case's ports. */
export type RichMenuStreamDeps = SwitchRichMenuPorts;

/**
 * DynamoDB Streams (links table, NEW_AND_OLD_IMAGES) → LINE's per-user rich menus: each link
 * made or removed, by any path, switches its user's menu after it committed
 * (functions/core/use-cases/switch-rich-menu.ts), one record after another in the shard's order,
 * so a user's last change wins. Only the `LINE#…` side of a link counts (one record per change);
 * a change of the recorded menu alone is no link event, and of reachability only a follow that
 * finds the linked menu missing switches it.
 *
 * A record LINE could not answer for after the in-process retries is the batch's first failure,
 * retried from it ({@link runLinkStream}); what still fails goes to the mapping's on-failure
 * destination (lib/constructs/rich-menu-switch.ts).
 */
export function createRichMenuStreamHandler(deps: RichMenuStreamDeps) {
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
    .use(invocationLogging())
    .handler((event) =>
      runLinkStream(event, {
        unreadable: {
          message: 'rich menu stream record skipped: it cannot be read',
          metric: 'RichMenuStreamRecordsSkipped',
        },
        failed: {
          message: 'rich menu not switched: the batch is retried from this record',
          metric: 'RichMenuSwitchesRetried',
        },
        run: async (linkEvent, change, ids) => {
          const recorded = (change.newItem ?? change.oldItem)?.richMenuId;
          const outcome = await switchRichMenu(
            typeof recorded === 'string' ? { ...linkEvent, recordedMenu: recorded } : linkEvent,
            deps,
          );
          if (outcome === 'rich-menu-failed') {
            logger.warn('rich menu not switched: LINE refused it', { ...ids, type: linkEvent.type });
            countMetric('RichMenuSwitchesRefused');
          } else if (outcome !== 'none') countMetric('RichMenusSwitched');
        },
      }),
    );
}
