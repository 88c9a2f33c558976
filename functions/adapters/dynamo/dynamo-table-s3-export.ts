import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeExportCommand,
  DescribeTableCommand,
  ExportTableToPointInTimeCommand,
  type DynamoDBClient,
  type ExportDescription,
} from '@aws-sdk/client-dynamodb';

/** Output formats of DynamoDB's export; the Glue tables of `lib/constructs/link-export.ts` read DYNAMODB_JSON. */
export type S3ExportFormat = 'DYNAMODB_JSON' | 'ION';

/** Where and how to export (see {@link startS3Export}). */
export interface S3ExportRequest {
  tableName: string;
  bucket: string;
  /** Key prefix in the bucket; the construct's Glue tables expect `links` / `audit`. */
  prefix: string;
  format?: S3ExportFormat;
  /** Account that owns the bucket, when it is not the caller's (cross-account exports). */
  bucketOwner?: string;
}

/** What `--s3` and `--status` report. */
export interface S3ExportStatus {
  exportArn: string;
  /** The last part of the ARN; it names the export's folder and is the Athena `export_id`. */
  exportId: string;
  status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | string;
  tableArn?: string;
  exportTime?: string;
  startTime?: string;
  endTime?: string;
  itemCount?: number;
  billedSizeBytes?: number;
  format?: string;
  /** `s3://bucket/prefix/AWSDynamoDB/<exportId>/data/`: the gzipped JSON files. */
  dataLocation?: string;
  failure?: { code?: string; message?: string };
}

/**
 * Starts a full export of the table to S3 with DynamoDB's own ExportTableToPointInTime: it reads
 * from the point-in-time-recovery backup, so it consumes no read capacity and does not touch
 * production traffic (PITR must be on; the stateful stack turns it on). The objects are written
 * with SSE-S3 into the encrypted export bucket.
 */
export async function startS3Export(
  client: DynamoDBClient,
  request: S3ExportRequest,
): Promise<S3ExportStatus> {
  const table = await client.send(new DescribeTableCommand({ TableName: request.tableName }));
  const tableArn = table.Table?.TableArn;
  if (!tableArn)
    throw new Error(`Table ${request.tableName} has no ARN (does it exist in this account and region?).`);
  const result = await client.send(
    new ExportTableToPointInTimeCommand({
      TableArn: tableArn,
      S3Bucket: request.bucket,
      S3Prefix: request.prefix.replace(/^\/+|\/+$/g, ''),
      ...(request.bucketOwner ? { S3BucketOwner: request.bucketOwner } : {}),
      S3SseAlgorithm: 'AES256',
      ExportFormat: request.format ?? 'DYNAMODB_JSON',
      ExportType: 'FULL_EXPORT',
    }),
  );
  if (!result.ExportDescription) throw new Error('DynamoDB did not describe the export it started.');
  return toStatus(result.ExportDescription);
}

/** The current state of an export. */
export async function describeS3Export(client: DynamoDBClient, exportArn: string): Promise<S3ExportStatus> {
  const result = await client.send(new DescribeExportCommand({ ExportArn: exportArn }));
  if (!result.ExportDescription) throw new Error(`No export ${exportArn}.`);
  return toStatus(result.ExportDescription);
}

/** Polls until the export is no longer IN_PROGRESS, reporting each poll. */
export async function waitForS3Export(
  client: DynamoDBClient,
  exportArn: string,
  options: { intervalMs?: number; onStatus?: (status: S3ExportStatus) => void; signal?: AbortSignal } = {},
): Promise<S3ExportStatus> {
  for (;;) {
    const status = await describeS3Export(client, exportArn);
    options.onStatus?.(status);
    if (status.status !== 'IN_PROGRESS') return status;
    await sleep(options.intervalMs ?? 15_000, undefined, options.signal ? { signal: options.signal } : {});
  }
}

/** `arn:aws:dynamodb:…:table/T/export/01700000000000-a1b2c3d4` → `01700000000000-a1b2c3d4`. */
export function exportIdOf(exportArn: string): string {
  return exportArn.slice(exportArn.lastIndexOf('/') + 1);
}

function toStatus(d: ExportDescription): S3ExportStatus {
  const exportArn = d.ExportArn ?? '';
  const exportId = exportIdOf(exportArn);
  const prefix = d.S3Prefix ? `${d.S3Prefix.replace(/\/+$/, '')}/` : '';
  const status: S3ExportStatus = { exportArn, exportId, status: d.ExportStatus ?? 'UNKNOWN' };
  if (d.TableArn) status.tableArn = d.TableArn;
  if (d.ExportTime) status.exportTime = d.ExportTime.toISOString();
  if (d.StartTime) status.startTime = d.StartTime.toISOString();
  if (d.EndTime) status.endTime = d.EndTime.toISOString();
  if (d.ItemCount !== undefined) status.itemCount = d.ItemCount;
  if (d.BilledSizeBytes !== undefined) status.billedSizeBytes = d.BilledSizeBytes;
  if (d.ExportFormat) status.format = d.ExportFormat;
  if (d.S3Bucket) status.dataLocation = `s3://${d.S3Bucket}/${prefix}AWSDynamoDB/${exportId}/data/`;
  if (d.FailureCode || d.FailureMessage) status.failure = { code: d.FailureCode, message: d.FailureMessage };
  return status;
}
