import {
  DescribeExportCommand,
  DescribeTableCommand,
  ExportTableToPointInTimeCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  describeS3Export,
  exportIdOf,
  startS3Export,
  waitForS3Export,
} from '../../../../functions/adapters/dynamo/dynamo-table-s3-export.js';

const TABLE_ARN = 'arn:aws:dynamodb:ap-northeast-1:123456789012:table/links-abc';
const EXPORT_ARN = `${TABLE_ARN}/export/01763800000000-a1b2c3d4`;

/** A DynamoDB client double that answers by command type and remembers what it was sent. */
function fakeClient(answers: { describeExport?: Array<Record<string, unknown>> } = {}) {
  const sent: Array<{ name: string; input: Record<string, unknown> }> = [];
  const exports = [...(answers.describeExport ?? [])];
  const client = {
    send: async (command: { input: Record<string, unknown> }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      if (command instanceof DescribeTableCommand) return { Table: { TableArn: TABLE_ARN } };
      if (command instanceof ExportTableToPointInTimeCommand) {
        return {
          ExportDescription: {
            ExportArn: EXPORT_ARN,
            ExportStatus: 'IN_PROGRESS',
            TableArn: TABLE_ARN,
            S3Bucket: command.input.S3Bucket,
            S3Prefix: command.input.S3Prefix,
            ExportFormat: command.input.ExportFormat,
            ExportTime: new Date('2026-11-22T09:00:00Z'),
          },
        };
      }
      if (command instanceof DescribeExportCommand) return { ExportDescription: exports.shift() };
      throw new Error(`unexpected ${command.constructor.name}`);
    },
  };
  return { client: client as unknown as DynamoDBClient, sent };
}

describe('S3 export', () => {
  it('starts a full DYNAMODB_JSON export of the named table into the bucket, SSE-S3', async () => {
    const { client, sent } = fakeClient();
    const status = await startS3Export(client, {
      tableName: 'links-abc',
      bucket: 'exports-bucket',
      prefix: '/links/',
    });
    expect(sent.map((s) => s.name)).toEqual(['DescribeTableCommand', 'ExportTableToPointInTimeCommand']);
    expect(sent[1]!.input).toEqual({
      TableArn: TABLE_ARN,
      S3Bucket: 'exports-bucket',
      S3Prefix: 'links',
      S3SseAlgorithm: 'AES256',
      ExportFormat: 'DYNAMODB_JSON',
      ExportType: 'FULL_EXPORT',
    });
    expect(status).toMatchObject({
      exportArn: EXPORT_ARN,
      exportId: '01763800000000-a1b2c3d4',
      status: 'IN_PROGRESS',
      exportTime: '2026-11-22T09:00:00.000Z',
      dataLocation: 's3://exports-bucket/links/AWSDynamoDB/01763800000000-a1b2c3d4/data/',
    });
  });

  it('reports status, item count and failures', async () => {
    const { client } = fakeClient({
      describeExport: [
        { ExportArn: EXPORT_ARN, ExportStatus: 'COMPLETED', ItemCount: 42, S3Bucket: 'b', S3Prefix: 'links' },
        {
          ExportArn: EXPORT_ARN,
          ExportStatus: 'FAILED',
          FailureCode: 'PITR_NOT_ENABLED',
          FailureMessage: 'no PITR',
        },
      ],
    });
    await expect(describeS3Export(client, EXPORT_ARN)).resolves.toMatchObject({
      status: 'COMPLETED',
      itemCount: 42,
    });
    await expect(describeS3Export(client, EXPORT_ARN)).resolves.toMatchObject({
      status: 'FAILED',
      failure: { code: 'PITR_NOT_ENABLED', message: 'no PITR' },
    });
  });

  it('polls until the export is no longer in progress', async () => {
    const { client, sent } = fakeClient({
      describeExport: [
        { ExportArn: EXPORT_ARN, ExportStatus: 'IN_PROGRESS' },
        { ExportArn: EXPORT_ARN, ExportStatus: 'IN_PROGRESS' },
        { ExportArn: EXPORT_ARN, ExportStatus: 'COMPLETED' },
      ],
    });
    const seen: string[] = [];
    const final = await waitForS3Export(client, EXPORT_ARN, {
      intervalMs: 1,
      onStatus: (s) => seen.push(s.status),
    });
    expect(final.status).toBe('COMPLETED');
    expect(seen).toEqual(['IN_PROGRESS', 'IN_PROGRESS', 'COMPLETED']);
    expect(sent).toHaveLength(3);
  });

  it('takes the export ID from the ARN', () => {
    expect(exportIdOf(EXPORT_ARN)).toBe('01763800000000-a1b2c3d4');
  });
});
