import { fileURLToPath } from 'node:url';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { LineChannelTokenClient } from '../adapters/line/line-channel-token-client.js';
import { LineRichMenuClient } from '../adapters/line/line-rich-menu-client.js';
import { applyRichMenuFolder } from '../richmenu/rich-menu-cli.js';
import { lambdaContext } from './api-gateway-adapter.js';
import { localClient } from './dynamodb-local.js';
import { startStreamPoller, type EventSourcePoller } from './artifacts/event-sources.js';
import type { SourceHandlers } from './source-handlers.js';

/** The demo's two rich menus (`npm run richmenu -- apply` folders). */
export const SAMPLE_RICH_MENUS = {
  linked: fileURLToPath(new URL('./sample-data/rich-menus/linked/', import.meta.url)),
  unlinked: fileURLToPath(new URL('./sample-data/rich-menus/unlinked/', import.meta.url)),
};

/**
 * `npm start` without RICH_MENU_LINKED_ID and RICH_MENU_UNLINKED_ID: creates the sample menus in
 * the LINE emulator (as `npm run richmenu -- apply` does; the "not linked" one is also the
 * default, so every user sees a menu from the start) and sets both variables, so the demo shows
 * the switch, and the postback of its Unlink area unless LINE_UNLINK_POSTBACK_DATA is set. An emulator keeps its menus only while it runs, so this is done at every start.
 */
export async function createDemoRichMenus(env: NodeJS.ProcessEnv, lineUrl: string): Promise<void> {
  const client = new LineRichMenuClient({
    tokens: new LineChannelTokenClient({
      apiBase: lineUrl,
      channelId: env.LINE_MESSAGING_CHANNEL_ID!,
      channelSecret: async () => env.LINE_MESSAGING_CHANNEL_SECRET!,
    }),
    dataBase: lineUrl,
    timeoutMs: 5_000,
  });
  env.RICH_MENU_UNLINKED_ID = await applyRichMenuFolder(client, SAMPLE_RICH_MENUS.unlinked, {
    makeDefault: true,
  });
  env.RICH_MENU_LINKED_ID = await applyRichMenuFolder(client, SAMPLE_RICH_MENUS.linked);
  // The "linked" menu's Unlink area posts back `action=unlink` (its richmenu.json).
  env.LINE_UNLINK_POSTBACK_DATA ??= 'action=unlink';
}

/**
 * What `npm run richmenu` needs of a running dev server (functions/richmenu/rich-menu-cli.ts
 * reads it from `.data/dev-line.json`): the emulator's origins, its Messaging API channel (the
 * emulator's own, printed in the banner too) and the menus of the demo.
 */
export function devLineSettings(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return {
    LINE_API_BASE: env.LINE_API_BASE,
    LINE_API_DATA_BASE: env.LINE_API_DATA_BASE,
    LINE_MESSAGING_CHANNEL_ID: env.LINE_MESSAGING_CHANNEL_ID,
    LINE_MESSAGING_CHANNEL_SECRET: env.LINE_MESSAGING_CHANNEL_SECRET,
    RICH_MENU_LINKED_ID: env.RICH_MENU_LINKED_ID,
    RICH_MENU_UNLINKED_ID: env.RICH_MENU_UNLINKED_ID,
  };
}

/**
 * The source mode's reader of the links table's stream for `rich-menu-stream`, as Lambda's
 * mapping runs it (lib/constructs/rich-menu-switch.ts: batches of 25, ReportBatchItemFailures,
 * 10 retries), so a link made or removed by any route switches the menu. It starts at the
 * stream's latest record: the emulator's menus are new at every start, so replaying the day's
 * earlier changes would only switch menus that no longer exist.
 */
export async function startRichMenuStream(options: {
  handlers: SourceHandlers;
  dynamoEndpoint: string;
  linksTable: string;
}): Promise<EventSourcePoller> {
  const region = 'us-east-1';
  const dynamodb = localClient(options.dynamoEndpoint);
  const streams = new DynamoDBStreamsClient({
    endpoint: options.dynamoEndpoint,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  let requests = 0;
  const poller = await startStreamPoller({
    dynamodb,
    streams,
    tableName: options.linksTable,
    mapping: {
      functionLogicalId: 'RichMenuStream',
      source: { kind: 'dynamodb-stream', tableLogicalId: 'Links' },
      batchSize: 25,
      reportBatchItemFailures: true,
      startingPosition: 'LATEST',
    },
    eventSourceArn: `arn:aws:dynamodb:${region}:000000000000:table/${options.linksTable}/stream/local`,
    region,
    maxRetries: 10,
    onDiscard: (batch) =>
      console.error(
        `rich-menu-stream: ${batch.records} record(s) of the links stream discarded after ${batch.attempts} attempts (${batch.reason})`,
      ),
    target: {
      invoke: async (event) => ({
        ok: true,
        result: await options.handlers.handler('rich-menu-stream')(
          event as never,
          lambdaContext('rich-menu-stream', `stream-${++requests}`),
        ),
      }),
    },
  });
  return {
    drain: (timeoutMs) => poller.drain(timeoutMs),
    close: async () => {
      await poller.close();
      streams.destroy();
      dynamodb.destroy();
    },
  };
}
