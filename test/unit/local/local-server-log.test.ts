import {
  formatRequestLine,
  startLocalServer,
  type RequestLogEntry,
} from '../../../functions/local/local-server.js';

describe('the local server logs one line per request', () => {
  test('method, path without the query, the status sent, and the time taken', async () => {
    const entries: RequestLogEntry[] = [];
    const server = await startLocalServer({
      routes: [],
      extra: (req, res) => {
        if (!req.url?.startsWith('/extra')) return false;
        res.writeHead(204).end();
        return true;
      },
      onRequest: (entry) => entries.push(entry),
    });
    try {
      await (await fetch(`${server.url}/extra?code=secret-value`)).arrayBuffer();
      await (await fetch(`${server.url}/nowhere`, { method: 'POST' })).arrayBuffer();
      for (let i = 0; i < 50 && entries.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await server.close();
    }
    expect(entries).toEqual([
      { method: 'GET', path: '/extra', status: 204, ms: expect.any(Number) },
      { method: 'POST', path: '/nowhere', status: 404, ms: expect.any(Number) },
    ]);
    expect(entries.map(formatRequestLine).join('\n')).toMatch(
      /^GET \/extra 204 \d+ ms\nPOST \/nowhere 404 \d+ ms$/,
    );
  });

  test('formatRequestLine rounds to whole milliseconds', () => {
    expect(formatRequestLine({ method: 'DELETE', path: '/links/me', status: 204, ms: 12.6 })).toBe(
      'DELETE /links/me 204 13 ms',
    );
  });
});
