import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { EventBridgeLinkEventPublisher } from '../../../functions/adapters/events/eventbridge-link-event-publisher.js';
import { toLinkEvent } from '../../../functions/core/link-events.js';

const link = {
  lineUserId: 'U0123456789abcdef0123456789abcdef',
  companyUserId: 'M-1',
  method: 'record',
  linkedAt: '2026-11-30T00:00:00.000Z',
};
const lineItem = (extra: Record<string, unknown> = {}) => ({
  pk: `LINE#${link.lineUserId}`,
  ...link,
  ...extra,
});
const base = { eventId: 'evt-1', at: '2026-11-30T01:00:00.000Z' };

describe('link events from the links stream', () => {
  test('insert → link.created with the stream event ID as idempotency key; the company side is not published', () => {
    expect(toLinkEvent({ ...base, kind: 'INSERT', newItem: lineItem() })).toEqual({
      type: 'link.created',
      idempotencyKey: 'evt-1',
      at: base.at,
      ...link,
      friend: null,
    });
    expect(
      toLinkEvent({ ...base, kind: 'INSERT', newItem: { ...lineItem(), pk: 'COMPANY#M-1' } }),
    ).toBeUndefined();
  });

  test('remove → link.removed; a friend change → link.reachability-changed; other changes → nothing', () => {
    expect(toLinkEvent({ ...base, kind: 'REMOVE', oldItem: lineItem({ friend: true }) })).toMatchObject({
      type: 'link.removed',
      friend: true,
    });
    expect(
      toLinkEvent({
        ...base,
        kind: 'MODIFY',
        oldItem: lineItem({ friend: true }),
        newItem: lineItem({ friend: false }),
      }),
    ).toMatchObject({ type: 'link.reachability-changed', friend: false });
    expect(
      toLinkEvent({
        ...base,
        kind: 'MODIFY',
        oldItem: lineItem({ friend: true }),
        newItem: lineItem({ friend: true, x: 1 }),
      }),
    ).toBeUndefined();
  });

  test('only allow-listed attributes go out: never a token or anything else on the item', () => {
    const event = toLinkEvent({
      ...base,
      kind: 'INSERT',
      newItem: lineItem({ accessToken: 'secret-token', factors: { birthDate: 'x' } }),
    });
    expect(JSON.stringify(event)).not.toContain('secret-token');
    expect(Object.keys(event!).sort()).toEqual(
      ['at', 'companyUserId', 'friend', 'idempotencyKey', 'lineUserId', 'linkedAt', 'method', 'type'].sort(),
    );
  });

  test('EventBridge entries: source, detail-type, bus, detail; 10 per PutEvents; refused entries fail', async () => {
    const sent: PutEventsCommand[] = [];
    let failed = 0;
    const client = {
      send: async (command: PutEventsCommand) => {
        sent.push(command);
        return { FailedEntryCount: failed };
      },
    } as unknown as EventBridgeClient;
    const publisher = new EventBridgeLinkEventPublisher(client, 'link-events');
    const event = toLinkEvent({ ...base, kind: 'INSERT', newItem: lineItem() })!;
    await publisher.publish(Array.from({ length: 12 }, (_, i) => ({ ...event, idempotencyKey: `e${i}` })));
    expect(sent.map((c) => c.input.Entries!.length)).toEqual([10, 2]);
    expect(sent[0]!.input.Entries![0]).toMatchObject({
      EventBusName: 'link-events',
      Source: 'line-id-link',
      DetailType: 'Link Created',
    });
    expect(JSON.parse(sent[0]!.input.Entries![0]!.Detail!)).toMatchObject({
      idempotencyKey: 'e0',
      companyUserId: 'M-1',
    });
    failed = 1;
    await expect(publisher.publish([event])).rejects.toThrow(/refused/);
  });
});
