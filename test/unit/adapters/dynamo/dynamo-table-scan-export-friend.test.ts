import { rowWriter } from '../../../../functions/adapters/dynamo/dynamo-table-scan-export.js';

const item = (friend?: boolean) => ({
  pk: { S: 'LINE#U1' },
  lineUserId: { S: 'U1' },
  companyUserId: { S: 'M-1' },
  method: { S: 'account-link' },
  linkedAt: { S: '2026-11-30T09:00:00.000Z' },
  ...(friend === undefined ? {} : { friend: { BOOL: friend } }),
});

describe('export friend column', () => {
  it('writes true, false or nothing in CSV', () => {
    const csv = rowWriter('links', 'csv');
    expect(csv(item(true))).toBe('U1,M-1,account-link,2026-11-30T09:00:00.000Z,,true\r\n');
    expect(csv(item(false))).toBe('U1,M-1,account-link,2026-11-30T09:00:00.000Z,,false\r\n');
    expect(csv(item())).toBe('U1,M-1,account-link,2026-11-30T09:00:00.000Z,,\r\n');
  });

  it('writes a JSON boolean, or null when never learned, in JSONL', () => {
    const jsonl = rowWriter('links', 'jsonl');
    expect(JSON.parse(jsonl(item(true))!)).toMatchObject({ friend: true });
    expect(JSON.parse(jsonl(item(false))!)).toMatchObject({ friend: false });
    expect(JSON.parse(jsonl(item())!)).toMatchObject({ friend: null });
  });
});
