/**
 * A query string encoded with `encodeURIComponent` (spaces as `%20`, as LINE's documentation
 * writes `scope=profile%20openid`), skipping undefined values.
 */
export function encodeQuery(params: Record<string, string | undefined>): string {
  return Object.entries(params)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join('&');
}

/** `endpoint` with `params` appended (after any query the endpoint already has). */
export function withQuery(endpoint: string, params: Record<string, string | undefined>): string {
  const url = new URL(endpoint);
  const query = encodeQuery(params);
  url.hash = '';
  return `${url.origin}${url.pathname}${url.search ? `${url.search}&` : '?'}${query}`;
}
