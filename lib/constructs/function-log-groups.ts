import type { IAspect } from 'aws-cdk-lib';
import { CfnResource } from 'aws-cdk-lib';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';

/**
 * Gives every Lambda function of a stack that has no log group of its own one with the
 * deployment's retention. The service's functions have theirs (ServiceFunction); CDK's own
 * custom-resource providers (the AwsCustomResource behind the events rule's log target, the S3
 * bucket-notifications handler) would log to `/aws/lambda/<name>`, which Lambda creates on first
 * write with no retention: logs kept forever, left behind when the stack is deleted. Their roles
 * may write to any log group (AWSLambdaBasicExecutionRole), so naming the group is all it takes
 * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html).
 */
export class FunctionLogGroups implements IAspect {
  constructor(private readonly retention: RetentionDays) {}

  visit(node: IConstruct): void {
    if (!(node instanceof CfnResource) || node.cfnResourceType !== 'AWS::Lambda::Function') return;
    // The Python handler of bucket notifications is a plain CfnResource, with no LoggingConfig.
    if (node instanceof CfnFunction && node.loggingConfig !== undefined) return;
    const scope = node.node.scope;
    const id = `${node.node.id}Logs`;
    // Each synth visits again (a test may synthesize the same app twice).
    if (!scope || scope.node.tryFindChild(id)) return;
    const logGroup = new LogGroup(scope, id, { retention: this.retention });
    node.addPropertyOverride('LoggingConfig.LogGroup', logGroup.logGroupName);
  }
}
