/**
 * One export run of the `export` bench, in its own process so its peak RSS is its own:
 * `node --import tsx bench/export-child.ts <project|baseline> <endpoint> <table> <segments> <outFile>`.
 * Prints one JSON line: `{"rows", "seconds", "maxRssMb"}`.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { exportTableByScan } from '../functions/adapters/dynamo/dynamo-table-scan-export.js';

const [mode, endpoint, table, segmentsArg, outFile] = process.argv.slice(2);
const segments = Number(segmentsArg);
const client = new DynamoDBClient({
  endpoint,
  region: 'local',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const out = createWriteStream(outFile!);

/**
 * The baseline: what any export must do at least — the same parallel Scan (same segments,
 * projection and LINE# filter) writing one comma-joined line per item, with no quoting,
 * no row checks and no progress, honouring backpressure the same way.
 */
async function bareScan(): Promise<number> {
  let rows = 0;
  await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            TableName: table,
            Segment: segment,
            TotalSegments: segments,
            ExclusiveStartKey: startKey,
            ProjectionExpression: 'lineUserId, companyUserId, #m, linkedAt',
            FilterExpression: 'begins_with(pk, :line)',
            ExpressionAttributeNames: { '#m': 'method' },
            ExpressionAttributeValues: { ':line': { S: 'LINE#' } },
          }),
        );
        let chunk = '';
        for (const item of page.Items ?? []) {
          chunk += `${item.lineUserId?.S},${item.companyUserId?.S},${item.method?.S},${item.linkedAt?.S}\r\n`;
        }
        rows += page.Items?.length ?? 0;
        if (!out.write(chunk)) await once(out, 'drain');
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }),
  );
  return rows;
}

const started = performance.now();
const rows =
  mode === 'project'
    ? (await exportTableByScan({ client, tableName: table!, kind: 'links', format: 'csv', out, segments }))
        .rows
    : await bareScan();
await new Promise<void>((resolve, reject) =>
  out.end((error?: Error | null) => (error ? reject(error) : resolve())),
);
const seconds = (performance.now() - started) / 1000;
client.destroy();
process.stdout.write(
  `${JSON.stringify({ rows, seconds, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
);
