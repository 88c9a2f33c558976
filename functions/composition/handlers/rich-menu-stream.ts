import { createRichMenuStreamHandler } from '../../handlers/rich-menu-stream.js';
import { systemClock } from '../../core/ports/index.js';
import { auditLog, linkRichMenuRecords, richMenuClient } from '../adapters.js';
import type { Wiring } from '../wiring.js';

/**
 * The `rich-menu-stream` function's handler, built from a wiring
 * (functions/handlers/rich-menu-stream.ts). With neither RICH_MENU_LINKED_ID nor
 * RICH_MENU_UNLINKED_ID set it switches nothing (a deployment then does not create it).
 */
export const richMenuStream = (w: Wiring) =>
  createRichMenuStreamHandler({
    richMenus: richMenuClient(w),
    audit: auditLog(w),
    clock: systemClock,
    records: linkRichMenuRecords(w),
    settings: w.config.richMenus,
  });
