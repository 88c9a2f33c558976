import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { TableDefinition, TableKey } from '../../functions/manifest/table-definitions.js';
import type { TableAction } from '../../functions/manifest/routes.js';

/**
 * The IAM actions for the item actions a function lists (routes manifest): exactly those, in the
 * order listed, item-level only (no `dynamodb:*`, no table management).
 */
export function tableActions(actions: readonly TableAction[]): string[] {
  if (actions.length === 0) throw new Error('A table grant needs at least one action.');
  return [...new Set(actions)].map((action) => `dynamodb:${action}`);
}

export interface ServiceTableProps {
  /** Key of the table in TABLES. */
  readonly key: TableKey;
  /** Its shape (functions/manifest/table-definitions.ts): keys, TTL, indexes. */
  readonly definition: TableDefinition;
  /**
   * Point-in-time recovery (continuous backups, 35 days). Worth its cost for data that must
   * survive mistakes; not for items that expire by themselves within minutes or hours.
   * @default true
   */
  readonly pointInTimeRecovery?: boolean;
}

/**
 * One of the service's tables, built from its shared definition so the cloud, the local server
 * and the tests agree on keys, TTL attribute and indexes. Data that must survive mistakes:
 * on-demand, point-in-time recovery (unless turned off for short-lived items), deletion
 * protection, retained when the stack goes.
 *
 * Encryption uses the AWS managed key (aws/dynamodb): encrypted at rest with KMS and every use
 * of the key in CloudTrail, without a customer managed key to pay for, rotate and keep a key
 * policy of (a CMK disabled or deleted by mistake would make the links unreadable). A CMK is
 * worth its upkeep when access must be revocable by key policy or shared across accounts; this
 * service needs neither.
 */
export class ServiceTable extends Construct {
  readonly key: TableKey;
  readonly definition: TableDefinition;
  readonly table: Table;

  constructor(scope: Construct, id: string, props: ServiceTableProps) {
    super(scope, id);
    this.key = props.key;
    this.definition = props.definition;
    const { definition } = props;
    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: definition.sortKey ? { name: definition.sortKey, type: AttributeType.STRING } : undefined,
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: props.pointInTimeRecovery ?? true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: definition.ttlAttribute,
      stream: definition.stream ? StreamViewType.NEW_AND_OLD_IMAGES : undefined,
    });
    if (props.pointInTimeRecovery === false) {
      Validations.of(this.table).acknowledge({
        id: 'AwsSolutions-DDB3',
        reason:
          'Short-lived items only (login sessions of minutes, attempt counters of a window of hours), removed by TTL: nothing in this table is worth restoring, so continuous backups are off (SHORT_LIVED_TABLES_PITR).',
      });
    }
    for (const index of definition.indexes ?? []) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: index.sortKey ? { name: index.sortKey, type: AttributeType.STRING } : undefined,
        projectionType: ProjectionType.ALL,
      });
    }
  }

  /** The variable that carries this table's name to the functions. */
  get envVar(): string {
    return this.definition.envVar;
  }

  get tableName(): string {
    return this.table.tableName;
  }

  /** What a grant on this table covers: the table and each of its indexes, by name (no wildcard). */
  resourceArns(): string[] {
    return [
      this.table.tableArn,
      ...(this.definition.indexes ?? []).map((index) => `${this.table.tableArn}/index/${index.name}`),
    ];
  }
}
