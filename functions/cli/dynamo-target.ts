import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadDynamoConfig, read, tableName, type DynamoConfig } from '../config.js';
import { rawValue } from '../manifest/config-schema.js';
import type { TableKey } from '../manifest/table-definitions.js';

/**
 * Where the command lines (`npm run import`, `npm run export`, `npm run send`) read and write:
 * one rule for all of them, documented in docs/member-data.md and docs/export.md.
 *
 * - the table: `--table` (for a deployment, its `…TableName` stack output), else the table's
 *   variable (`MEMBERS_TABLE`, `LINKS_TABLE`, …), else the service default;
 * - the DynamoDB: `--endpoint`, else `DYNAMODB_ENDPOINT`, else AWS when `--region` is given,
 *   else the DynamoDB Local of the running dev server, whose endpoint `npm start` writes to
 *   {@link DEV_ENDPOINT_FILE}.
 */

/** Where `npm start` (the dev server, run from the project folder) writes its DynamoDB Local's endpoint. */
export const DEV_ENDPOINT_FILE = fileURLToPath(new URL('../../.data/dynamodb-endpoint', import.meta.url));

/** The command-line options that choose the target. */
export interface DynamoTargetOptions {
  table?: string;
  region?: string;
  endpoint?: string;
}

/** Where a command line reads and writes. */
export interface DynamoTarget {
  table: string;
  /** Endpoint override (a DynamoDB Local); undefined for AWS. */
  endpoint?: string;
  /** `--region`, else `AWS_REGION` / `AWS_DEFAULT_REGION`; undefined: the SDK's default chain. */
  region?: string;
  /** How the endpoint was found, for messages: `--endpoint`, `DYNAMODB_ENDPOINT`, `AWS (region)` or the file. */
  source: string;
  /** True for the dev server's DynamoDB Local (found through the endpoint file). */
  localDev: boolean;
}

/** No target can be found, or a given one is malformed; the message tells the user what to do. */
export class DynamoTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DynamoTargetError';
  }
}

/**
 * The target of a command line working on table `table` (see the rule above).
 * @param endpointFile the dev server's endpoint file; default {@link DEV_ENDPOINT_FILE} (tests pass their own).
 */
export function resolveDynamoTarget(
  options: DynamoTargetOptions,
  table: TableKey,
  io: { env: Record<string, string | undefined>; endpointFile?: string },
): DynamoTarget {
  const { env } = io;
  const name = targetTable(options, table, env);
  const region = options.region ?? envRegion(env);
  const at = (endpoint: string, source: string, localDev = false): DynamoTarget => ({
    table: name,
    endpoint: checkUrl(endpoint, source),
    ...(region ? { region } : {}),
    source,
    localDev,
  });
  if (options.endpoint) return at(options.endpoint, '--endpoint');
  const fromEnv = endpointVariable(env);
  if (fromEnv) return at(fromEnv, 'DYNAMODB_ENDPOINT');
  if (options.region)
    return { table: name, region: options.region, source: `AWS (${options.region})`, localDev: false };
  const file = io.endpointFile ?? DEV_ENDPOINT_FILE;
  if (!existsSync(file)) {
    throw new DynamoTargetError(
      `No DynamoDB to work on: ${file} does not exist, so the dev server is not running.\n` +
        '  Start it with `npm start` (it writes that file), or pass --endpoint URL for another DynamoDB Local,\n' +
        '  or --region REGION --table NAME to work on AWS.',
    );
  }
  let raw = readFileSync(file, 'utf8').trim();
  if (raw.startsWith('{')) raw = String((JSON.parse(raw) as { endpoint?: unknown }).endpoint ?? '');
  return at(raw, file, true);
}

/** `--table`, else the table's variable (`LINKS_TABLE`, …), else its service default. */
export function targetTable(
  options: Pick<DynamoTargetOptions, 'table'>,
  table: TableKey,
  env: Record<string, string | undefined>,
): string {
  return options.table ?? tableName(table, env);
}

/**
 * The DynamoDB client options of a target (functions/config.ts `loadDynamoConfig`, with the
 * target's endpoint and region in place of the environment's).
 */
export function dynamoConfigOf(
  target: Pick<DynamoTarget, 'endpoint' | 'region'>,
  env: Record<string, string | undefined>,
): DynamoConfig {
  const { region, ...config } = loadDynamoConfig({ ...env, DYNAMODB_ENDPOINT: target.endpoint ?? '' });
  const chosen = target.region ?? region;
  return { ...config, ...(chosen ? { region: chosen } : {}) };
}

/**
 * `AWS_REGION`, else `AWS_DEFAULT_REGION`: the AWS SDK's own variables, so not in the service's
 * schema (functions/config.ts reads them alike); undefined leaves the region to the SDK.
 */
export function envRegion(env: Record<string, string | undefined>): string | undefined {
  return rawValue(env, 'AWS_REGION') ?? rawValue(env, 'AWS_DEFAULT_REGION');
}

/** `DYNAMODB_ENDPOINT` through the schema; a bad value is a usage error naming the variable. */
function endpointVariable(env: Record<string, string | undefined>): string | undefined {
  try {
    return read(env, 'DYNAMODB_ENDPOINT');
  } catch (error) {
    if (error instanceof ConfigError) throw new DynamoTargetError(error.message);
    throw error;
  }
}

/** An endpoint checked with the rule of `DYNAMODB_ENDPOINT`, the error naming where it came from. */
function checkUrl(value: string, from: string): string {
  try {
    read({ DYNAMODB_ENDPOINT: value }, 'DYNAMODB_ENDPOINT');
    return value;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new DynamoTargetError(`${from} is not an http(s) URL: "${value}".`);
  }
}
