import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  createDeployedTables,
  readDeployedApp,
  taggedNaming,
} from '../../../../functions/local/artifacts/cloud-assembly.js';
import type { DeployedTable } from '../../../../functions/local/artifacts/types.js';
import { localClient } from '../../../../functions/local/dynamodb-local.js';
import { TABLES, type TableKey } from '../../../../functions/manifest/table-definitions.js';
import type { CfnElement } from 'aws-cdk-lib';
import { synthApp, type SynthesizedApp } from '../../../infra/app-fixture.js';

const tag = `dt${randomBytes(3).toString('hex')}`;
let client: DynamoDBClient;
const created: string[] = [];

beforeAll(() => {
  client = localClient(process.env.DYNAMODB_ENDPOINT!);
});

afterAll(async () => {
  for (const name of created) await client.send(new DeleteTableCommand({ TableName: name })).catch(() => {});
  client.destroy();
});

async function create(tables: readonly DeployedTable[]) {
  created.push(...tables.map((t) => t.name));
  await createDeployedTables(client, tables);
}

describe("the synthesized app's tables in DynamoDB Local", () => {
  let synth: SynthesizedApp;
  let tables: DeployedTable[];

  beforeAll(async () => {
    synth = synthApp({ bundle: false });
    tables = readDeployedApp(synth.outdir, taggedNaming(tag)).tables;
    await create(tables);
  }, 120_000);

  afterAll(() => {
    if (synth) rmSync(synth.outdir, { recursive: true, force: true });
  });

  const tableOf = (key: TableKey) => {
    const element = synth.stateful.tables[key].table.node.defaultChild as CfnElement;
    const logicalId = synth.stateful.resolve(element.logicalId) as string;
    return tables.find((t) => t.logicalId === logicalId)!;
  };

  test.each(Object.keys(TABLES) as TableKey[])(
    '%s: keys, stream and TTL as the shared definition says',
    async (key) => {
      const def = TABLES[key] as (typeof TABLES)[TableKey] & {
        sortKey?: string;
        ttlAttribute?: string;
        stream?: string;
      };
      const { name } = tableOf(key);
      expect(name.endsWith(`-${tag}`)).toBe(true);
      const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
      expect(Table?.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        ...(def.sortKey ? [{ AttributeName: def.sortKey, KeyType: 'RANGE' }] : []),
      ]);
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      expect(Table?.StreamSpecification?.StreamEnabled ?? false).toBe(Boolean(def.stream));
      if (def.stream) expect(Table?.StreamSpecification?.StreamViewType).toBe('NEW_AND_OLD_IMAGES');
      const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
      if (def.ttlAttribute) {
        expect(TimeToLiveDescription).toEqual({
          TimeToLiveStatus: 'ENABLED',
          AttributeName: def.ttlAttribute,
        });
      } else expect(TimeToLiveDescription?.TimeToLiveStatus).toBe('DISABLED');
    },
  );

  test('creating them again leaves existing tables and their items as they are', async () => {
    const { name } = tableOf('links');
    await client.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'LINE#kept' } } }));
    await createDeployedTables(client, tables);
    const { Item } = await client.send(
      new GetItemCommand({ TableName: name, Key: { pk: { S: 'LINE#kept' } } }),
    );
    expect(Item?.pk?.S).toBe('LINE#kept');
  });
});

describe('index and global table definitions', () => {
  let outdir: string;
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  test('a table with global and local indexes, and a provisioned global table, are created as defined', async () => {
    outdir = mkdtempSync(join(tmpdir(), 'deployed-tables-'));
    const keys = [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ];
    const attributes = ['pk', 'sk', 'gpk', 'lsk'].map((name) => ({
      AttributeName: name,
      AttributeType: 'S',
    }));
    const template = {
      Resources: {
        Indexed: {
          Type: 'AWS::DynamoDB::Table',
          Properties: {
            BillingMode: 'PAY_PER_REQUEST',
            KeySchema: keys,
            AttributeDefinitions: attributes,
            GlobalSecondaryIndexes: [
              {
                IndexName: 'byGpk',
                KeySchema: [{ AttributeName: 'gpk', KeyType: 'HASH' }],
                Projection: { ProjectionType: 'KEYS_ONLY' },
              },
            ],
            LocalSecondaryIndexes: [
              {
                IndexName: 'byLsk',
                KeySchema: [
                  { AttributeName: 'pk', KeyType: 'HASH' },
                  { AttributeName: 'lsk', KeyType: 'RANGE' },
                ],
                Projection: { ProjectionType: 'ALL' },
              },
            ],
            TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
          },
        },
        Global: {
          Type: 'AWS::DynamoDB::GlobalTable',
          Properties: {
            BillingMode: 'PROVISIONED',
            KeySchema: keys.slice(0, 1),
            AttributeDefinitions: attributes.slice(0, 1),
            StreamSpecification: { StreamViewType: 'KEYS_ONLY' },
            Replicas: [{ Region: 'us-east-1' }],
          },
        },
      },
    };
    writeFileSync(join(outdir, 'S.template.json'), JSON.stringify(template));
    writeFileSync(
      join(outdir, 'manifest.json'),
      JSON.stringify({
        version: '55.0.0',
        artifacts: {
          S: {
            type: 'aws:cloudformation:stack',
            environment: 'aws://123456789012/ap-northeast-1',
            properties: { templateFile: 'S.template.json' },
          },
        },
      }),
    );
    const tables = readDeployedApp(outdir, taggedNaming(tag)).tables;
    await create(tables);

    const indexed = tables.find((t) => t.logicalId === 'Indexed')!;
    const { Table } = await client.send(new DescribeTableCommand({ TableName: indexed.name }));
    expect(Table?.KeySchema).toEqual(keys);
    expect(Table?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.KeySchema, i.Projection])).toEqual([
      ['byGpk', [{ AttributeName: 'gpk', KeyType: 'HASH' }], { ProjectionType: 'KEYS_ONLY' }],
    ]);
    expect(Table?.LocalSecondaryIndexes?.map((i) => [i.IndexName, i.KeySchema?.[1]?.AttributeName])).toEqual([
      ['byLsk', 'lsk'],
    ]);
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: indexed.name }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe('ttl');

    const global = tables.find((t) => t.logicalId === 'Global')!;
    const described = await client.send(new DescribeTableCommand({ TableName: global.name }));
    expect(described.Table?.StreamSpecification).toEqual({
      StreamEnabled: true,
      StreamViewType: 'KEYS_ONLY',
    });
    expect(described.Table?.ProvisionedThroughput?.ReadCapacityUnits).toBeGreaterThan(0);
  });
});
