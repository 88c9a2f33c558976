import { Aws, Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { stackOutput } from './stack-output.js';
import { CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { AUDIT_ITEM_FIELDS, type AuditField } from '../../functions/manifest/audit-fields.js';
import { createPrivateBucket } from './private-bucket.js';

/** Key prefixes in the export bucket; `npm run export -- --s3` uses the same defaults. */
export const EXPORT_PREFIXES = { links: 'links', audit: 'audit', athenaResults: 'athena-results' } as const;

export interface LinkExportProps {
  /** The links table; point-in-time recovery must be on (ExportTableToPointInTime reads the backup). */
  readonly linksTable: ITable;
  /** The audit table, exported the same way (its own Glue table `audit_events`). */
  readonly auditTable?: ITable;
  /** Days an export (and Athena query results) are kept in the bucket; default 30. */
  readonly retentionDays?: number;
  /** Glue database name (lowercase, digits, `_`); default derived from the stack name. */
  readonly databaseName?: string;
  /** Athena workgroup name; default derived from the construct path. */
  readonly workGroupName?: string;
  /** Default RETAIN for the bucket (exports are personal data under their own lifecycle). */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The analysts' path at scale: DynamoDB's own export to S3 (`npm run export -- --s3`), which
 * reads the point-in-time backup and so costs the live table no read capacity, into an
 * encrypted, private bucket, with Glue tables so Athena can query each export with SQL.
 *
 * - Bucket: SSE-S3, all public access blocked, bucket-owner-enforced, TLS only (>= 1.2), server
 *   access logs, lifecycle expiry of exports and query results, incomplete uploads aborted.
 * - Glue: tables `links` (and `audit_events`) over `<prefix>/AWSDynamoDB/<export id>/data/`, the
 *   gzipped DynamoDB-JSON lines (`{"Item": {"lineUserId": {"S": "…"}, …}}`) read with the OpenX
 *   JSON SerDe as one struct column `item`. The export ID is a partition column projected by
 *   injection: every query names the export it reads (`WHERE export_id = '…'`), so exports
 *   never mix and no crawler or partition maintenance is needed.
 * - Athena workgroup with encrypted results in the same bucket, and two managed policies to
 *   attach to people or roles: one to start exports, one to query them.
 */
export class LinkExport extends Construct {
  readonly bucket: Bucket;
  readonly database: CfnDatabase;
  readonly linksGlueTable: CfnTable;
  readonly auditGlueTable?: CfnTable;
  readonly workGroup: CfnWorkGroup;
  /** Lets its holder start and watch exports of the tables into the bucket. */
  readonly exporterPolicy: ManagedPolicy;
  /** Lets its holder query the exports with Athena (and nothing else of the service). */
  readonly analystPolicy: ManagedPolicy;
  readonly databaseName: string;

  constructor(scope: Construct, id: string, props: LinkExportProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const retention = Duration.days(props.retentionDays ?? 30);

    ({ bucket: this.bucket } = createPrivateBucket(this, {
      purpose: 'export',
      lifecycleRules: [
        { id: 'expire-link-exports', prefix: `${EXPORT_PREFIXES.links}/`, expiration: retention },
        { id: 'expire-audit-exports', prefix: `${EXPORT_PREFIXES.audit}/`, expiration: retention },
        {
          id: 'expire-athena-results',
          prefix: `${EXPORT_PREFIXES.athenaResults}/`,
          expiration: Duration.days(7),
        },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: props.removalPolicy,
    }));

    this.databaseName = props.databaseName ?? glueName(`${stack.stackName}_exports`);
    this.database = new CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: this.databaseName,
        description:
          'line-id-link: DynamoDB exports of the links and the audit trail (npm run export -- --s3)',
      },
    });

    this.linksGlueTable = this.exportTable('LinksTable', 'links', EXPORT_PREFIXES.links, {
      pk: 'Partition key: LINE#<lineUserId> (one row per link) or COMPANY#<companyUserId> (its mirror)',
      lineUserId: 'LINE user ID',
      companyUserId: 'Company user ID (member number)',
      method: 'How the link was proven: oidc | api | record | account-link',
      linkedAt: 'ISO 8601 instant, UTC',
    });
    if (props.auditTable) {
      // Every field the audit log writes (functions/manifest/audit-fields.ts), each with its type.
      this.auditGlueTable = this.exportTable('AuditTable', 'audit_events', EXPORT_PREFIXES.audit, {
        pk: 'LINE#<lineUserId>, ADMIN#<yyyy-mm-dd> for admin actions, PSEUDONYM#<…> after an erasure',
        sk: '<at>#<random>',
        ...AUDIT_ITEM_FIELDS,
      });
    }

    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: props.workGroupName ?? Names.uniqueResourceName(this, { maxLength: 64, separator: '-' }),
      description: 'line-id-link: queries over the DynamoDB exports',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        resultConfiguration: {
          outputLocation: this.bucket.s3UrlForObject(`${EXPORT_PREFIXES.athenaResults}/`),
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    const tables = [props.linksTable, ...(props.auditTable ? [props.auditTable] : [])];
    const prefixes = [EXPORT_PREFIXES.links, ...(props.auditTable ? [EXPORT_PREFIXES.audit] : [])];
    this.exporterPolicy = new ManagedPolicy(this, 'ExporterPolicy', {
      description:
        'line-id-link: start and watch DynamoDB exports of the links (and audit) tables to the export bucket',
      statements: [
        new PolicyStatement({
          actions: ['dynamodb:ExportTableToPointInTime', 'dynamodb:DescribeTable'],
          resources: tables.map((t) => t.tableArn),
        }),
        new PolicyStatement({
          actions: ['dynamodb:DescribeExport'],
          resources: tables.map((t) => `${t.tableArn}/export/*`),
        }),
        new PolicyStatement({
          actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
          resources: prefixes.map((p) => this.bucket.arnForObjects(`${p}/*`)),
        }),
      ],
    });

    this.analystPolicy = new ManagedPolicy(this, 'AnalystPolicy', {
      description: 'line-id-link: query the DynamoDB exports with Athena in its workgroup',
      statements: [
        new PolicyStatement({
          actions: [
            'athena:StartQueryExecution',
            'athena:StopQueryExecution',
            'athena:GetQueryExecution',
            'athena:GetQueryResults',
            'athena:GetWorkGroup',
            'athena:ListQueryExecutions',
          ],
          resources: [
            stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workGroup.ref }),
          ],
        }),
        new PolicyStatement({
          actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions'],
          resources: [
            stack.formatArn({ service: 'glue', resource: 'catalog' }),
            stack.formatArn({ service: 'glue', resource: 'database', resourceName: this.databaseName }),
            stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${this.databaseName}/*` }),
          ],
        }),
        new PolicyStatement({
          actions: ['s3:ListBucket', 's3:GetBucketLocation'],
          resources: [this.bucket.bucketArn],
        }),
        new PolicyStatement({
          actions: ['s3:GetObject'],
          resources: [...prefixes, EXPORT_PREFIXES.athenaResults].map((p) =>
            this.bucket.arnForObjects(`${p}/*`),
          ),
        }),
        new PolicyStatement({
          actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
          resources: [this.bucket.arnForObjects(`${EXPORT_PREFIXES.athenaResults}/*`)],
        }),
      ],
    });
    // Each wildcard resource acknowledged by name (no blanket IAM5): object keys under one prefix,
    // export IDs that DynamoDB generates, and the tables of this one Glue database.
    for (const policy of [this.exporterPolicy, this.analystPolicy]) {
      const statements = policy.document.toJSON() as { Statement: Array<{ Resource: unknown }> };
      const wildcards = statements.Statement.flatMap((st) => [st.Resource].flat())
        .map((resource) => nagRendering(stack.resolve(resource)))
        .filter((rendered) => rendered.includes('*'));
      for (const resource of new Set(wildcards)) {
        Validations.of(policy).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${resource}]`,
          reason:
            'Scoped wildcard: objects under one prefix of the export bucket, the exports of one named table ' +
            '(their IDs are generated by DynamoDB), or the tables of this Glue database; no action is wildcarded.',
        });
      }
    }

    stackOutput(this, 'ExportBucketName', {
      value: this.bucket.bucketName,
      description: 'EXPORT_BUCKET for `npm run export -- --s3`',
    });
    stackOutput(this, 'GlueDatabaseName', {
      value: this.databaseName,
      description: 'Glue database of the exports',
    });
    stackOutput(this, 'LinksGlueTableName', {
      value: `${this.databaseName}.links`,
      description: "Athena table of link exports (query with WHERE export_id = '<export id>')",
    });
    if (this.auditGlueTable) {
      stackOutput(this, 'AuditGlueTableName', {
        value: `${this.databaseName}.audit_events`,
        description: "Athena table of audit exports (query with WHERE export_id = '<export id>')",
      });
    }
    stackOutput(this, 'AthenaWorkGroupName', {
      value: this.workGroup.ref,
      description: 'Athena workgroup for the exports',
    });
    stackOutput(this, 'ExporterPolicyArn', {
      value: this.exporterPolicy.managedPolicyArn,
      description: 'Attach to whoever runs `npm run export -- --s3`',
    });
    stackOutput(this, 'AnalystPolicyArn', {
      value: this.analystPolicy.managedPolicyArn,
      description: 'Attach to analysts who query the exports in Athena',
    });
  }

  /**
   * A Glue table over one prefix's exports. DynamoDB writes them to
   * `<prefix>/AWSDynamoDB/<export id>/data/*.json.gz`, one `{"Item": {...}}` per line, each
   * attribute typed (`{"S": "…"}`); the manifests sit beside `data/`, outside the table.
   */
  private exportTable(
    id: string,
    name: string,
    prefix: string,
    attributes: Record<string, string | AuditField>,
  ): CfnTable {
    const root = this.bucket.s3UrlForObject(`${prefix}/AWSDynamoDB/`);
    const field = (value: string | AuditField): AuditField =>
      typeof value === 'string' ? { kind: 'S', about: value } : value;
    // OpenX JSON SerDe matches keys case-insensitively: `Item`/`lineUserId`/`S` → item.lineuserid.s.
    const fields = Object.entries(attributes).map(
      ([attribute, value]) => `${attribute.toLowerCase()}:struct<${field(value).kind.toLowerCase()}:string>`,
    );
    const table = new CfnTable(this, id, {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: this.databaseName,
      tableInput: {
        name,
        description: `DynamoDB exports (DYNAMODB_JSON) of the ${name} table. Fields: ${Object.entries(
          attributes,
        )
          .map(([a, d]) => `${a.toLowerCase()} (${field(d).about})`)
          .join('; ')}.`,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          EXTERNAL: 'TRUE',
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          'projection.export_id.type': 'injected',
          'storage.location.template': `${root}\${export_id}/data/`,
        },
        partitionKeys: [
          { name: 'export_id', type: 'string', comment: 'DynamoDB export ID (last part of the export ARN)' },
        ],
        storageDescriptor: {
          columns: [
            {
              name: 'item',
              type: `struct<${fields.join(',')}>`,
              comment: 'The DynamoDB item; each attribute as {s: string}',
            },
          ],
          location: root,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          compressed: true,
          serdeInfo: {
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            parameters: { 'case.insensitive': 'TRUE', 'ignore.malformed.json': 'FALSE' },
          },
        },
      },
    });
    table.addResourceDependency(this.database);
    return table;
  }
}

/** A Glue-safe name: lowercase letters, digits and underscores, at most 255 characters. */
function glueName(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .slice(0, 255);
}

/**
 * A resolved CloudFormation value as cdk-nag names it in finding IDs: `Fn::GetAtt` → `<Id.Attr>`,
 * `Ref` → `<Id>` (pseudo parameters `<AWS::Partition>`), `Fn::Join` concatenated.
 */
function nagRendering(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (Array.isArray(v['Fn::GetAtt'])) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
    if (typeof v.Ref === 'string') return `<${v.Ref}>`;
    if (Array.isArray(v['Fn::Join'])) {
      const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(nagRendering).join(separator);
    }
  }
  return JSON.stringify(value);
}
