import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { tableName } from '../config.js';

/**
 * The pepper of local runs only (`npm start` and `npm run import` against the local DynamoDB
 * Local when MEMBER_HASH_PEPPER is unset). Obviously fake; a deployment reads its own from
 * Secrets Manager.
 */
export const LOCAL_MEMBER_HASH_PEPPER = 'dev-member-hash-pepper-not-for-production';

/** File in which `npm start` leaves the endpoint of its DynamoDB Local. */
export const LOCAL_ENDPOINT_FILE = '.data/dynamodb-endpoint';

/** Where an import writes. */
export interface ImportTarget {
  table: string;
  /** DynamoDB endpoint override (DynamoDB Local); undefined for AWS. */
  endpoint?: string;
  region?: string;
  /** True when writing to the local dev DynamoDB Local found through {@link LOCAL_ENDPOINT_FILE}. */
  localDev: boolean;
}

/** Thrown when no target can be found; the message tells the user what to do. */
export class ImportTargetError extends Error {}

/**
 * `--endpoint` wins, then `DYNAMODB_ENDPOINT`; with `--region` (or AWS_REGION and `--table`) the
 * import goes to AWS; otherwise to the local dev DynamoDB Local that `npm start` runs.
 */
export async function resolveImportTarget(
  options: { table?: string; region?: string; endpoint?: string },
  env: Record<string, string | undefined>,
  cwd = process.cwd(),
): Promise<ImportTarget> {
  const table = options.table ?? tableName('members', env);
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const endpoint = options.endpoint ?? (env.DYNAMODB_ENDPOINT?.trim() || undefined);
  if (endpoint) return { table, endpoint, region, localDev: false };
  if (options.region || (options.table && region)) return { table, region, localDev: false };
  const file = resolve(cwd, LOCAL_ENDPOINT_FILE);
  let local: string;
  try {
    local = (await readFile(file, 'utf8')).trim();
  } catch {
    throw new ImportTargetError(
      `No DynamoDB to import into: the local one is not running (${LOCAL_ENDPOINT_FILE} not found).\n` +
        'Start it with `npm start` in another terminal, or import into AWS with --table NAME --region REGION ' +
        '(or another engine with --endpoint URL).',
    );
  }
  if (!/^https?:\/\/\S+$/.test(local))
    throw new ImportTargetError(`${LOCAL_ENDPOINT_FILE} does not hold a URL; restart \`npm start\`.`);
  return { table, endpoint: local, region, localDev: true };
}
