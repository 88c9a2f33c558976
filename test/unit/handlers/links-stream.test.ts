import type { DynamoDBRecord } from 'aws-lambda';
import type { LinkEvent } from '../../../functions/core/link-events.js';
import { createLinksStreamHandler } from '../../../functions/handlers/links-stream.js';
import { lambdaContext } from '../../../functions/local/api-gateway-adapter.js';

/**
 * The links stream function with a publisher standing in for EventBridge: what it reports when a
 * publish fails, and that a failure it cannot report fails the invocation instead of vanishing.
 * Its runs against a real stream and EventBridge's API are in
 * test/integration/handlers/links-stream.test.ts.
 */

let seq = 0;
/** A stream record of a new link's LINE side, as Lambda hands it over. */
function linkRecord(options: { sequenceNumber?: boolean } = {}): DynamoDBRecord {
  seq++;
  const s = (value: string) => ({ S: value });
  return {
    eventID: `event-${seq}`,
    eventName: 'INSERT',
    dynamodb: {
      ApproximateCreationDateTime: 1_764_547_200,
      ...(options.sequenceNumber === false ? {} : { SequenceNumber: `${1000 + seq}` }),
      NewImage: {
        pk: s(`LINE#U${seq}`),
        lineUserId: s(`U${seq}`),
        companyUserId: s(`M-${seq}`),
        method: s('oidc'),
        linkedAt: s('2026-12-01T00:00:00.000Z'),
      },
    },
  };
}

function streamFunction(publish: (events: LinkEvent[]) => Promise<void>) {
  const handler = createLinksStreamHandler({ publisher: { publish } });
  return (records: DynamoDBRecord[]) => handler({ Records: records }, lambdaContext('links-stream', 'unit'));
}

it('publishes every record in order and reports nothing', async () => {
  const published: string[] = [];
  const run = streamFunction(async (events) => {
    published.push(...events.map((e) => e.companyUserId));
  });
  const records = [linkRecord(), linkRecord()];
  await expect(run(records)).resolves.toEqual({ batchItemFailures: [] });
  expect(published).toEqual(['M-' + (seq - 1), 'M-' + seq]);
});

it('a publish that fails is reported by the record’s sequence number; nothing after it is published', async () => {
  const published: string[] = [];
  const [first, failing, last] = [linkRecord(), linkRecord(), linkRecord()];
  const run = streamFunction(async (events) => {
    if (events[0]!.idempotencyKey === failing.eventID)
      throw new Error('EventBridge refused 1 link event(s).');
    published.push(events[0]!.idempotencyKey);
  });
  await expect(run([first, failing, last])).resolves.toEqual({
    batchItemFailures: [{ itemIdentifier: failing.dynamodb!.SequenceNumber }],
  });
  expect(published).toEqual([first.eventID]);
});

it('a failure it cannot report (no sequence number) fails the invocation with the error', async () => {
  const refusal = new Error('EventBridge refused 1 link event(s).');
  const run = streamFunction(async () => {
    throw refusal;
  });
  await expect(run([linkRecord({ sequenceNumber: false })])).rejects.toBe(refusal);
});
