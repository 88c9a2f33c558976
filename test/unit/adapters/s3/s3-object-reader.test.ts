import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { S3ObjectReader } from '../../../../functions/adapters/s3/s3-object-reader.js';

/** An S3 client that answers GetObject with `body` and records the commands it was sent. */
function fakeS3(body: unknown) {
  const sent: unknown[] = [];
  const client = {
    send: async (command: unknown) => {
      sent.push(command);
      return { Body: body };
    },
  } as unknown as S3Client;
  return { client, sent };
}

describe('S3ObjectReader', () => {
  test('streams the object named by bucket and key', async () => {
    const { client, sent } = fakeS3(Readable.from([Buffer.from('memberId\n'), Buffer.from('M-1\n')]));
    const body = await new S3ObjectReader(client).read('imports', 'members 2026.csv');
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk));
    expect(Buffer.concat(chunks).toString()).toBe('memberId\nM-1\n');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(GetObjectCommand);
    expect((sent[0] as GetObjectCommand).input).toEqual({ Bucket: 'imports', Key: 'members 2026.csv' });
  });

  test('an object without a body is an error naming it', async () => {
    const { client } = fakeS3(undefined);
    await expect(new S3ObjectReader(client).read('imports', 'empty.csv')).rejects.toThrow(
      'S3 object empty.csv in imports has no body.',
    );
  });
});
