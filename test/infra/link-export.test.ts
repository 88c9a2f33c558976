import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EXPORT_PREFIXES, LinkExport } from '../../lib/constructs/link-export.js';
import { AUDIT_ITEM_FIELDS } from '../../functions/manifest/audit-fields.js';

/** A small stack with two PITR tables and the export construct, checked by cdk-nag like the app. */
function synth(props: { audit?: boolean; retentionDays?: number } = {}) {
  // As lib/line-id-link-app.ts sets it: access logs delivered through a bucket policy, not ACLs.
  const app = new App({ context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new Stack(app, 'ExportTest', { env: { account: '123456789012', region: 'ap-northeast-1' } });
  const table = (id: string) =>
    new Table(stack, id, {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    });
  const links = table('Links');
  const audit = props.audit === false ? undefined : table('Audit');
  const construct = new LinkExport(stack, 'LinkExport', {
    linksTable: links,
    auditTable: audit,
    retentionDays: props.retentionDays,
    databaseName: 'line_id_link_exports',
  });
  app.synth(); // cdk-nag errors that are not acknowledged fail here
  return { app, stack, construct, template: Template.fromStack(stack), links };
}

const json = (value: unknown) => JSON.stringify(value);

describe('LinkExport construct', () => {
  let t: ReturnType<typeof synth>;
  beforeAll(() => {
    t = synth();
  });

  const bucketId = () => t.stack.getLogicalId(t.construct.bucket.node.defaultChild as never);

  it('creates a private, encrypted, TLS-only export bucket with access logs and lifecycle expiry', () => {
    const bucket = t.template.findResources('AWS::S3::Bucket')[bucketId()]!;
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LoggingConfiguration: { LogFilePrefix: 'export-bucket/' },
    });
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Prefix: 'links/', ExpirationInDays: 30, Status: 'Enabled' }),
        expect.objectContaining({ Prefix: 'audit/', ExpirationInDays: 30, Status: 'Enabled' }),
        expect.objectContaining({ Prefix: 'athena-results/', ExpirationInDays: 7 }),
        expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
      ]),
    );
    t.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId() },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      },
    });
  });

  it('has no cdk-nag AwsSolutions finding of any severity', () => {
    const direct = new AwsSolutionsChecks().validateScope(t.app);
    expect(
      direct.violations.map(
        (v) => `${v.severity} ${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
  });

  it('honours the retention setting', () => {
    const { template, stack, construct } = synth({ retentionDays: 7, audit: false });
    const bucket =
      template.findResources('AWS::S3::Bucket')[
        stack.getLogicalId(construct.bucket.node.defaultChild as never)
      ]!;
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([expect.objectContaining({ Prefix: 'links/', ExpirationInDays: 7 })]),
    );
    template.resourceCountIs('AWS::Glue::Table', 1);
  });

  it('defines a Glue database and a links table over the DynamoDB-JSON export data, partitioned by export ID', () => {
    t.template.hasResourceProperties('AWS::Glue::Database', {
      CatalogId: { Ref: 'AWS::AccountId' },
      DatabaseInput: { Name: 'line_id_link_exports' },
    });
    const tables = Object.values(t.template.findResources('AWS::Glue::Table'));
    expect(tables).toHaveLength(2);
    const links = tables.find((r) => r.Properties.TableInput.Name === 'links')!;
    expect(links.Properties.DatabaseName).toBe('line_id_link_exports');
    const input = links.Properties.TableInput;
    expect(input).toMatchObject({
      TableType: 'EXTERNAL_TABLE',
      PartitionKeys: [{ Name: 'export_id', Type: 'string' }],
      Parameters: {
        classification: 'json',
        compressionType: 'gzip',
        'projection.enabled': 'true',
        'projection.export_id.type': 'injected',
      },
      StorageDescriptor: {
        Columns: [
          {
            Name: 'item',
            Type: 'struct<pk:struct<s:string>,lineuserid:struct<s:string>,companyuserid:struct<s:string>,method:struct<s:string>,linkedat:struct<s:string>>',
          },
        ],
        InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
        OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
        SerdeInfo: {
          SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
          Parameters: { 'case.insensitive': 'TRUE' },
        },
      },
    });
    // s3://<bucket>/links/AWSDynamoDB/${export_id}/data/ — the folder DynamoDB writes each export's data to.
    const template = json(input.Parameters['storage.location.template']);
    expect(template).toContain(bucketId());
    expect(template).toContain('/links/AWSDynamoDB/${export_id}/data/');
    expect(json(input.StorageDescriptor.Location)).toContain('/links/AWSDynamoDB/');
    expect(links.DependsOn).toEqual(expect.arrayContaining([expect.stringContaining('Database')]));
  });

  it('defines the audit_events table with every audit attribute', () => {
    const audit = Object.values(t.template.findResources('AWS::Glue::Table')).find(
      (r) => r.Properties.TableInput.Name === 'audit_events',
    )!;
    const type: string = audit.Properties.TableInput.StorageDescriptor.Columns[0].Type;
    // The key, then every field the audit log writes (the list the Scan export reads too), with its type.
    const fields = [
      'pk:struct<s:string>',
      'sk:struct<s:string>',
      ...Object.entries(AUDIT_ITEM_FIELDS).map(
        ([name, field]) => `${name.toLowerCase()}:struct<${field.kind.toLowerCase()}:string>`,
      ),
    ];
    expect(type).toBe(`struct<${fields.join(',')}>`);
    expect(type).toContain('recipients:struct<n:string>');
    // Glue's limit on a table description.
    expect(audit.Properties.TableInput.Description.length).toBeLessThanOrEqual(2048);
    expect(json(audit.Properties.TableInput.Parameters['storage.location.template'])).toContain(
      `/${EXPORT_PREFIXES.audit}/AWSDynamoDB/\${export_id}/data/`,
    );
  });

  it('has an Athena workgroup that enforces encrypted results in the bucket', () => {
    t.template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        ResultConfiguration: {
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
          OutputLocation: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
        },
      },
    });
  });

  it('offers least-privilege policies to start exports and to query them', () => {
    const policies = t.template.findResources('AWS::IAM::ManagedPolicy');
    const statementsOf = (idPart: string) =>
      Object.entries(policies).find(([id]) => id.includes(idPart))![1].Properties.PolicyDocument
        .Statement as Array<{
        Action: string | string[];
        Resource: unknown;
      }>;
    const exporter = statementsOf('ExporterPolicy');
    expect(exporter.flatMap((s) => [s.Action].flat())).toEqual(
      expect.arrayContaining([
        'dynamodb:ExportTableToPointInTime',
        'dynamodb:DescribeExport',
        's3:PutObject',
      ]),
    );
    expect(json(exporter)).not.toMatch(/"dynamodb:\*"|"s3:\*"|"Resource":"\*"/);
    expect(json(exporter)).toContain('/links/*');
    const analyst = statementsOf('AnalystPolicy');
    expect(analyst.flatMap((s) => [s.Action].flat())).toEqual(
      expect.arrayContaining(['athena:StartQueryExecution', 'glue:GetTable', 's3:GetObject']),
    );
    // Analysts read exports; they get no DynamoDB access at all.
    expect(json(analyst)).not.toContain('dynamodb:');
  });

  it('outputs the bucket, the Glue tables, the workgroup and the policies', () => {
    const outputs = Object.keys(t.template.findOutputs('*'));
    for (const name of [
      'ExportBucketName',
      'GlueDatabaseName',
      'LinksGlueTableName',
      'AuditGlueTableName',
      'AthenaWorkGroupName',
      'ExporterPolicyArn',
      'AnalystPolicyArn',
    ]) {
      expect(outputs).toContain(name);
    }
  });
});
