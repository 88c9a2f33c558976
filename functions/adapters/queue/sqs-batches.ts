import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** SQS's most messages per SendMessageBatch. */
const SQS_BATCH = 10;

/**
 * Sends `bodies` to the queue, 10 messages per SendMessageBatch. A batch SQS accepted only in
 * part throws (naming `what`), so the caller fails rather than lose a message; what was sent
 * before stays sent, which both queues' consumers tolerate (they do each piece of work once).
 */
export async function sendInBatches(
  client: SQSClient,
  queueUrl: string,
  bodies: readonly string[],
  what: string,
): Promise<void> {
  for (let i = 0; i < bodies.length; i += SQS_BATCH) {
    const chunk = bodies.slice(i, i + SQS_BATCH);
    const result = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((body, n) => ({ Id: String(n), MessageBody: body })),
      }),
    );
    if (result.Failed?.length) throw new Error(`SQS refused ${result.Failed.length} ${what} message(s).`);
  }
}
