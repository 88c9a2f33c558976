import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readConfig } from '../../../functions/config.js';
import { loadTracer, traceAwsClient, tracing } from '../../../functions/observability/tracing.js';
import { configureTracing } from '../../../functions/observability/settings.js';

describe('the tracing settings', () => {
  const tracingOf = (env: Record<string, string>) => readConfig(env).tracing;
  it('is on in Lambda unless POWERTOOLS_TRACE_ENABLED=false, and off outside Lambda', () => {
    const lambda = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' };
    expect(tracingOf(lambda).enabled).toBe(true);
    expect(tracingOf({ ...lambda, POWERTOOLS_TRACE_ENABLED: 'false' }).enabled).toBe(false);
    expect(tracingOf({ ...lambda, AWS_SAM_LOCAL: 'true' }).enabled).toBe(false);
    expect(tracingOf({}).enabled).toBe(false);
    expect(() => tracingOf({ ...lambda, POWERTOOLS_TRACE_ENABLED: 'yes' })).toThrow(
      /POWERTOOLS_TRACE_ENABLED/,
    );
  });
});

describe('tracing in Lambda', () => {
  // What the Lambda runtime gives every function, read by Powertools' Tracer and the X-Ray SDK
  // themselves (they trace nothing outside Lambda): not this service's configuration.
  const saved = { ...process.env };
  beforeAll(() => {
    process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs22.x';
    process.env.AWS_XRAY_CONTEXT_MISSING = 'IGNORE_ERROR';
  });
  afterAll(() => {
    process.env = saved;
  });

  it('traces nothing until a composition root turns it on', () => {
    const client = traceAwsClient(new DynamoDBClient({ region: 'ap-northeast-1' }));
    expect(client.middlewareStack.identify().join(' ')).not.toMatch(/XRay/i);
  });

  it('captures AWS SDK clients given before and after the tracer loaded, and runs the handler middleware', async () => {
    configureTracing({ enabled: true, serviceName: 'line-id-link' });
    const before = traceAwsClient(new DynamoDBClient({ region: 'ap-northeast-1' }));
    const middleware = tracing();
    const loaded = await loadTracer();
    expect(loaded).toBeDefined();
    const after = traceAwsClient(new DynamoDBClient({ region: 'ap-northeast-1' }));
    const untraced = new DynamoDBClient({ region: 'ap-northeast-1' });
    const names = (client: DynamoDBClient) => client.middlewareStack.identify().join(' ');
    expect(names(before)).toMatch(/XRay/i);
    expect(names(after)).toMatch(/XRay/i);
    expect(names(untraced)).not.toMatch(/XRay/i);
    // No segment outside a real invocation: the middleware must pass through quietly.
    const request = { event: {}, context: {}, response: undefined, error: undefined, internal: {} };
    await expect(middleware.before!(request as never)).resolves.toBeUndefined();
    await expect(middleware.after!(request as never)).resolves.toBeUndefined();
  });
});
