import { startQueuePoller, type BatchTarget } from '../../../../functions/local/artifacts/event-sources.js';
import type { DeployedEventSource } from '../../../../functions/local/artifacts/types.js';

/** Lambda's SQS poller against an in-memory queue: what is deleted after each kind of answer. */
const mapping: DeployedEventSource = {
  functionLogicalId: 'Worker',
  source: { kind: 'sqs', queueLogicalId: 'Queue' },
  batchSize: 10,
  reportBatchItemFailures: true,
};

async function oneBatch(answer: BatchTarget['invoke'], options: { report?: boolean } = {}) {
  const messages = ['m1', 'm2', 'm3'].map((id) => ({ messageId: id, receiptHandle: `r-${id}`, body: id }));
  let handed = false;
  const deleted: string[] = [];
  const batches: unknown[] = [];
  const poller = startQueuePoller({
    mapping: { ...mapping, reportBatchItemFailures: options.report ?? true },
    queue: {
      receive: async () => (handed ? [] : ((handed = true), messages)),
      delete: (handles) => void deleted.push(...handles),
    },
    target: { invoke: async (event) => (batches.push(event), answer(event)) },
    intervalMs: 5,
  });
  await poller.drain(2_000);
  await poller.close();
  return { deleted, batches };
}

it('hands the messages over as one SQS event and deletes them all after a success', async () => {
  const { deleted, batches } = await oneBatch(async () => ({ ok: true, result: null }));
  expect(batches).toEqual([
    { Records: expect.arrayContaining([expect.objectContaining({ messageId: 'm2' })]) },
  ]);
  expect(deleted).toEqual(['r-m1', 'r-m2', 'r-m3']);
});

it('keeps the messages the function reports as failed (ReportBatchItemFailures)', async () => {
  const { deleted } = await oneBatch(async () => ({
    ok: true,
    result: { batchItemFailures: [{ itemIdentifier: 'm2' }] },
  }));
  expect(deleted).toEqual(['r-m1', 'r-m3']);
});

it('deletes nothing when a reported identifier names no message of the batch (the whole batch failed)', async () => {
  const { deleted } = await oneBatch(async () => ({
    ok: true,
    result: { batchItemFailures: [{ itemIdentifier: '' }] },
  }));
  expect(deleted).toEqual([]);
});

it('deletes nothing when the function fails, and ignores reports the mapping does not ask for', async () => {
  expect((await oneBatch(async () => ({ ok: false, errorMessage: 'boom' }))).deleted).toEqual([]);
  const unasked = await oneBatch(
    async () => ({ ok: true, result: { batchItemFailures: [{ itemIdentifier: 'm2' }] } }),
    { report: false },
  );
  expect(unasked.deleted).toEqual(['r-m1', 'r-m2', 'r-m3']);
});
