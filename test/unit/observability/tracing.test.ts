import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadTracingConfig } from '../../../functions/config.js';

describe('loadTracingConfig', () => {
  it('is on in Lambda unless POWERTOOLS_TRACE_ENABLED=false, and off outside Lambda', () => {
    const lambda = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' };
    expect(loadTracingConfig(lambda).enabled).toBe(true);
    expect(loadTracingConfig({ ...lambda, POWERTOOLS_TRACE_ENABLED: 'false' }).enabled).toBe(false);
    expect(loadTracingConfig({ ...lambda, AWS_SAM_LOCAL: 'true' }).enabled).toBe(false);
    expect(loadTracingConfig({}).enabled).toBe(false);
    expect(() => loadTracingConfig({ ...lambda, POWERTOOLS_TRACE_ENABLED: 'yes' })).toThrow(
      /POWERTOOLS_TRACE_ENABLED/,
    );
  });
});

describe('tracing in Lambda', () => {
  const saved = { ...process.env };
  beforeAll(() => {
    process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs22.x';
    process.env.POWERTOOLS_TRACE_ENABLED = 'true';
    process.env.AWS_XRAY_CONTEXT_MISSING = 'IGNORE_ERROR';
  });
  afterAll(() => {
    process.env = saved;
  });

  it('captures AWS SDK clients given before and after the tracer loaded, and runs the handler middleware', async () => {
    const { loadTracer, traceAwsClient, tracing } =
      await import('../../../functions/observability/tracing.js');
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
