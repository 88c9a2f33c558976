/**
 * A minimal browser for integration tests of the web flow: fetch with `redirect: 'manual'` and a
 * cookie jar that honours what matters here (host-only cookies, Path, Max-Age=0 removal,
 * HttpOnly and SameSite recorded for assertions). Each instance is one browser profile, so two
 * instances model two browsers (or an attacker and a victim).
 */
export interface StoredCookie {
  name: string;
  value: string;
  host: string;
  path: string;
  attributes: string[];
  /** The raw Set-Cookie line, for assertions on its attributes. */
  raw: string;
}

export interface Hop {
  url: string;
  status: number;
  location: string | null;
  headers: Headers;
  body: string;
  setCookies: string[];
}

export class TestBrowser {
  readonly cookies = new Map<string, StoredCookie>();
  readonly history: Hop[] = [];

  /** One request; cookies for the URL are sent and Set-Cookie stored. */
  async request(url: string, init: RequestInit = {}): Promise<Hop> {
    const target = new URL(url);
    const cookie = this.cookieHeader(target);
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string> | undefined), ...(cookie ? { cookie } : {}) },
    });
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) this.store(target, line);
    const hop: Hop = {
      url,
      status: res.status,
      location: res.headers.get('location'),
      headers: res.headers,
      body: init.method === 'HEAD' ? '' : await res.text(),
      setCookies,
    };
    this.history.push(hop);
    return hop;
  }

  get(url: string): Promise<Hop> {
    return this.request(url);
  }

  /** Cookies this browser would send to `url`, as a header value. */
  cookieHeader(url: URL): string {
    return [...this.cookies.values()]
      .filter(
        (c) =>
          c.host === url.host &&
          (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)),
      )
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  /** The cookie called `name`, if the browser holds it. */
  cookie(name: string): StoredCookie | undefined {
    return [...this.cookies.values()].find((c) => c.name === name);
  }

  private store(url: URL, line: string): void {
    const [pair, ...attrs] = line.split(';').map((s) => s.trim());
    const eq = pair!.indexOf('=');
    const name = pair!.slice(0, eq);
    const value = pair!.slice(eq + 1);
    const attributes = attrs.map((a) => a.toLowerCase());
    const path = attrs.find((a) => /^path=/i.test(a))?.slice(5) ?? '/';
    const key = `${url.host}|${path}|${name}`;
    if (attributes.includes('max-age=0') || value === '') {
      this.cookies.delete(key);
      return;
    }
    this.cookies.set(key, { name, value, host: url.host, path, attributes, raw: line });
  }
}
