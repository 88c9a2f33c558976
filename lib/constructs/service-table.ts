import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  Table,
  TableEncryption,
  StreamViewType,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { TableDefinition, TableKey } from '../../functions/adapters/dynamo/table-definitions.js';

/** How a function uses a table, as the routes manifest says it. */
export type TableAccess = 'read' | 'write' | 'read-write';

/**
 * DynamoDB actions per access level, item-level only: no `dynamodb:*`, no table management.
 * Transactions need no action of their own: DynamoDB authorizes a TransactWriteItems /
 * TransactGetItems per item with these actions (ConditionCheckItem for a condition-only item).
 */
export const TABLE_ACTIONS: Record<'read' | 'write', readonly string[]> = {
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan'],
  write: [
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
    'dynamodb:ConditionCheckItem',
  ],
};

export function tableActions(access: TableAccess): string[] {
  return access === 'read-write'
    ? [...TABLE_ACTIONS.read, ...TABLE_ACTIONS.write]
    : [...TABLE_ACTIONS[access]];
}

export interface ServiceTableProps {
  /** Key of the table in TABLES. */
  readonly key: TableKey;
  /** Its shape (functions/adapters/dynamo/table-definitions.ts): keys, TTL, indexes. */
  readonly definition: TableDefinition;
}

/**
 * One of the service's tables, built from its shared definition so the cloud, the local server
 * and the tests agree on keys, TTL attribute and indexes. Data that must survive mistakes:
 * on-demand, point-in-time recovery, deletion protection, retained when the stack goes.
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
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: definition.ttlAttribute,
      stream: definition.stream ? StreamViewType.NEW_AND_OLD_IMAGES : undefined,
    });
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
