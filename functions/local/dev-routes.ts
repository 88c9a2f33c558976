import { readdir } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { DeleteTableCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import * as esbuild from 'esbuild';
import { TABLES, type TableKey } from '../manifest/table-definitions.js';
import { ensureTables, localClient } from './dynamodb-local.js';
import { openApiDocument } from './openapi/openapi-document.js';

/** The demo's sources: every top-level `*.js` file is an entry point of the bundle. */
export const DEMO_SOURCE_DIR = fileURLToPath(new URL('./demo/', import.meta.url));

/** Tables `POST /_dev/reset` empties; the imported member records are reference data and stay. */
export const RESET_TABLES: readonly TableKey[] = (Object.keys(TABLES) as TableKey[]).filter(
  (key) => key !== 'members',
);

/** What {@link createDevRoutes} needs from the running stack. */
export interface DevRoutesOptions {
  /** The engine whose tables `POST /_dev/reset` may empty; undefined: no reset (someone else's engine). */
  dynamoEndpoint?: string;
  tableNames: Record<TableKey, string>;
  /** The API's public origin, the `servers` entry of `/openapi.json`. */
  publicBaseUrl: () => string;
}

/** The dev server's own paths, served before the API; `close` stops the bundler. */
export interface DevRoutes {
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Dev-only paths of `npm start` (never deployed): `/demo` → `/demo/`, an empty `/favicon.ico`,
 * `GET /openapi.json`, `POST /_dev/reset` (empties the local tables except the members) and the
 * demo's JavaScript bundled by esbuild, so its modules can import `@line/liff` like any LIFF app.
 */
export async function createDevRoutes(options: DevRoutesOptions): Promise<DevRoutes> {
  const bundler = await DemoBundler.create();
  return {
    close: () => bundler.dispose(),
    handle: async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const path = url.pathname;
      const method = req.method ?? 'GET';
      const noStore = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
      if (method === 'GET' || method === 'HEAD') {
        if (path === '/demo') {
          res.writeHead(301, { location: `/demo/${url.search}` }).end();
          return true;
        }
        if (path === '/favicon.ico') {
          res.writeHead(204, { 'cache-control': 'max-age=86400' }).end();
          return true;
        }
        if (path === '/openapi.json') {
          res
            .writeHead(200, { ...noStore, 'content-type': 'application/json' })
            .end(JSON.stringify(openApiDocument(options.publicBaseUrl()), null, 2));
          return true;
        }
        if (path === '/demo/' || path === '/demo/index.html') await bundler.rebuild();
        const bundled = /^\/demo\/([a-z0-9-]+\.js)$/.exec(path);
        if (bundled) {
          const file = await bundler.file(bundled[1]!);
          if (file === undefined) return false;
          res
            .writeHead(200, { ...noStore, 'content-type': 'text/javascript; charset=utf-8' })
            .end(method === 'HEAD' ? undefined : file);
          return true;
        }
        const chunk = /^\/demo\/chunks\/([A-Za-z0-9_-]+\.js)$/.exec(path);
        if (chunk) {
          const file = await bundler.file(`chunks/${chunk[1]!}`);
          res.writeHead(file === undefined ? 404 : 200, {
            ...noStore,
            'content-type': 'text/javascript; charset=utf-8',
          });
          res.end(method === 'HEAD' ? undefined : file);
          return true;
        }
      }
      if (path === '/_dev/reset') {
        if (method !== 'POST') {
          res.writeHead(405, { ...noStore, allow: 'POST' }).end();
          return true;
        }
        if (!options.dynamoEndpoint) {
          sendJson(res, 409, {
            reset: false,
            detail: 'DYNAMODB_ENDPOINT points to an engine this dev server did not start: not touching it.',
          });
          return true;
        }
        await resetTables(options.dynamoEndpoint, options.tableNames);
        sendJson(res, 200, { reset: true, tables: RESET_TABLES.map((key) => options.tableNames[key]) });
        return true;
      }
      return false;
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(JSON.stringify(body));
}

/** Deletes and re-creates every table of {@link RESET_TABLES} (instant on DynamoDB Local). */
export async function resetTables(endpoint: string, names: Record<TableKey, string>): Promise<void> {
  const client = localClient(endpoint);
  try {
    for (const key of RESET_TABLES) {
      try {
        await client.send(new DeleteTableCommand({ TableName: names[key] }));
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }
    }
    await ensureTables(client, names);
  } finally {
    client.destroy();
  }
}

/**
 * esbuild over the demo's modules: each top-level `.js` file keeps its name (so a page can load
 * any of them with `<script type="module">`), shared code and `@line/liff` go to `chunks/`.
 * Rebuilt when the page is loaded, so edits show on reload.
 */
class DemoBundler {
  private files = new Map<string, Uint8Array>();

  private constructor(private context: esbuild.BuildContext | undefined) {}

  static async create(): Promise<DemoBundler> {
    const bundler = new DemoBundler(undefined);
    await bundler.rebuild();
    return bundler;
  }

  async rebuild(): Promise<void> {
    const entries = (await readdir(DEMO_SOURCE_DIR)).filter((name) => /^[a-z0-9-]+\.js$/.test(name));
    const key = entries.join(',');
    if (this.context && this.entriesKey !== key) {
      await this.context.dispose();
      this.context = undefined;
    }
    this.entriesKey = key;
    this.context ??= await esbuild.context({
      absWorkingDir: DEMO_SOURCE_DIR,
      entryPoints: entries,
      bundle: true,
      splitting: true,
      format: 'esm',
      target: 'es2022',
      outdir: 'out',
      chunkNames: 'chunks/[name]-[hash]',
      write: false,
      logLevel: 'silent',
      define: { 'process.env.NODE_ENV': '"development"' },
    });
    const result = await this.context.rebuild();
    this.files = new Map(
      (result.outputFiles ?? []).map((file) => [
        file.path.slice(file.path.lastIndexOf('/out/') + '/out/'.length),
        file.contents,
      ]),
    );
  }

  private entriesKey = '';

  async file(name: string): Promise<Uint8Array | undefined> {
    return this.files.get(name);
  }

  async dispose(): Promise<void> {
    await this.context?.dispose();
  }
}
