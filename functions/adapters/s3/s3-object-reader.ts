import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectReader } from '../../core/ports/index.js';

/**
 * Reads S3 objects as streams (GetObject): the body is consumed as it arrives, so a member file
 * of any size is never held in memory. The client is the caller's (created once per execution
 * environment, traced by the handler).
 */
export class S3ObjectReader implements ObjectReader {
  constructor(private readonly client: S3Client) {}

  async read(bucket: string, key: string): Promise<AsyncIterable<Uint8Array>> {
    const object = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    // In Node.js the SDK's body is a Readable (an AsyncIterable of Buffers).
    const body = object.Body as AsyncIterable<Uint8Array> | undefined;
    if (!body) throw new Error(`S3 object ${key} in ${bucket} has no body.`);
    return body;
  }
}
