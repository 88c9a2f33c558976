import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HmacFactorHasher } from '../../functions/adapters/crypto/hmac-factor-hasher.js';
import { createDocumentClient } from '../../functions/adapters/dynamo/dynamo-client.js';
import { DynamoMemberRepository } from '../../functions/adapters/dynamo/dynamo-member-repository.js';
import { importMembers, type ImportSummary } from '../../functions/core/use-cases/import-members.js';
import { readMemberCsv } from '../../functions/adapters/csv/member-csv-file.js';
import type { MemberFactor } from '../../functions/core/member-factors.js';

/** The pepper of the member-data integration suites. */
export const TEST_PEPPER = 'integration-test-pepper-0123456789';

/** functions/local/sample-data/members.sample.csv: the emulator's default members, as an operator would export them. */
export const SAMPLE_CSV = fileURLToPath(
  new URL('../../functions/local/sample-data/members.sample.csv', import.meta.url),
);

/** Imports the sample CSV into `table` of the run's DynamoDB Local with the project's import. */
export async function importSample(
  table: string,
  options: { pepper?: string; factors?: MemberFactor[] } = {},
): Promise<ImportSummary> {
  const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT! });
  try {
    return await importMembers(readMemberCsv(createReadStream(SAMPLE_CSV)), {
      store: new DynamoMemberRepository(client, table),
      hasher: new HmacFactorHasher(options.pepper ?? TEST_PEPPER),
      requiredFactors: options.factors ?? ['birthDate', 'postalCode'],
    });
  } finally {
    client.destroy();
  }
}

/** The string value of a raw (AttributeValue) item attribute. */
export function s(item: Record<string, unknown>, name: string): string | undefined {
  return (item[name] as { S?: string } | undefined)?.S;
}

/** The number value of a raw item attribute. */
export function n(item: Record<string, unknown>, name: string): number | undefined {
  const v = (item[name] as { N?: string } | undefined)?.N;
  return v === undefined ? undefined : Number(v);
}
