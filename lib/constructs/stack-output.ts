import { CfnOutput, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/** What an output shows. */
export interface StackOutputProps {
  value: string;
  description: string;
}

/**
 * A stack output with a stable name, whatever construct creates it: its key is `name` (an
 * output made inside a construct would otherwise get a hashed logical ID such as
 * `LinkExportExportBucketName1A2B3C4D`), and it is exported as `<stack name>-<name>`, so
 * scripts can read it with `aws cloudformation list-exports` or `Fn::ImportValue`.
 */
export function stackOutput(scope: Construct, name: string, props: StackOutputProps): CfnOutput {
  const stack = Stack.of(scope);
  const output = new CfnOutput(scope, name, { ...props, exportName: `${stack.stackName}-${name}` });
  output.overrideLogicalId(name);
  return output;
}
