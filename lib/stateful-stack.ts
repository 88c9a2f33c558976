import { RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { stackOutput } from './constructs/stack-output.js';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { TABLES, type TableKey } from '../functions/manifest/table-definitions.js';
import { LinkExport } from './constructs/link-export.js';
import { ServiceTable } from './constructs/service-table.js';
import { SECRET_SPECS, type SecretName, type Settings } from './settings.js';

/**
 * Tables whose items live minutes (login sessions) to a window of hours (attempt counters):
 * nothing in them is worth restoring, so point-in-time recovery is off unless
 * SHORT_LIVED_TABLES_PITR=true.
 */
export const SHORT_LIVED_TABLES: readonly TableKey[] = ['sessions', 'attempts'];

export interface StatefulStackProps extends StackProps {
  readonly settings: Settings;
  /** The secrets the deployed functions read (the outputs say which ones need a value). */
  readonly secretsInUse: readonly SecretName[];
}

/**
 * What must outlive any deployment mistake: the tables (links, login sessions, member records,
 * attempt counters, audit trail) and the secrets. Kept apart from the API stack so that stack can
 * be replaced or torn down freely; everything here is retained when its stack is deleted.
 *
 * Every table and secret exists whatever linking patterns are enabled, and each is exported
 * explicitly: turning a pattern off or on then changes only the API stack, and never removes an
 * export the deployed API stack still imports (which CloudFormation would refuse).
 */
export class StatefulStack extends Stack {
  readonly tables: Record<TableKey, ServiceTable>;
  readonly secrets: Record<SecretName, ISecret>;
  /** Analysts' path at scale: DynamoDB export to S3 + Glue/Athena (docs/export.md). */
  readonly linkExport: LinkExport;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    this.tables = Object.fromEntries(
      (Object.keys(TABLES) as TableKey[]).map((key) => {
        const table = new ServiceTable(this, `${pascal(key)}Table`, {
          key,
          definition: TABLES[key],
          pointInTimeRecovery:
            !SHORT_LIVED_TABLES.includes(key) || (props.settings.operations?.shortLivedTablesPitr ?? false),
        });
        this.exportValue(table.table.tableName);
        this.exportValue(table.table.tableArn);
        stackOutput(this, `${pascal(key)}TableName`, {
          value: table.tableName,
          description: TABLES[key].envVar,
        });
        return [key, table];
      }),
    ) as Record<TableKey, ServiceTable>;

    this.linkExport = new LinkExport(this, 'LinkExport', {
      linksTable: this.tables.links.table,
      auditTable: this.tables.audit.table,
    });

    this.secrets = Object.fromEntries(
      (Object.keys(SECRET_SPECS) as SecretName[]).map((name) => {
        const secret = this.secret(name, props.settings.secretArns[name]);
        this.exportValue(secret.secretArn);
        const existing = props.settings.secretArns[name] !== undefined;
        const inUse = props.secretsInUse.includes(name);
        stackOutput(this, `${pascal(name)}Arn`, {
          value: secret.secretArn,
          description: !inUse
            ? `${name}: not used by the deployed linking patterns`
            : existing
              ? `${name}: existing secret`
              : name === 'MEMBER_HASH_PEPPER'
                ? `${name}: generated at deploy, nothing to set`
                : `${name}: put its value after deploy`,
        });
        return [name, secret];
      }),
    ) as Record<SecretName, ISecret>;
  }

  /** An existing secret (context `<name>Arn`), or a new one holding a random placeholder. */
  private secret(name: SecretName, existingArn: string | undefined): ISecret {
    if (existingArn) return Secret.fromSecretCompleteArn(this, pascal(name), existingArn);
    const secret = new Secret(this, pascal(name), {
      description: `line-id-link ${name}: ${SECRET_SPECS[name].description}`,
      // Generated, so no secret value is ever in a template; the real value is put after deploy
      // (docs/deploy.md). The pepper keeps its generated value.
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        name === 'MEMBER_HASH_PEPPER'
          ? 'The pepper keys the hashes of every imported member record: rotating it invalidates them all until a full re-import, so it is changed only deliberately, together with a re-import.'
          : 'This credential is issued by a third party (LINE Developers Console, company IdP or API) that offers no rotation API for it; it is rotated there and put here by hand (docs/deploy.md).',
    });
    return secret;
  }
}

/** `links` → `Links`, `LINE_CHANNEL_SECRET` → `LineChannelSecret`, `links-me-get` → `LinksMeGet`. */
export function pascal(name: string): string {
  return name
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}
