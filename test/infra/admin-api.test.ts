import { rmSync } from 'node:fs';
import { ROUTES } from '../../functions/manifest/routes.js';
import { resourcesOf, synthApp, type SynthesizedApp } from './app-fixture.js';

let synth: SynthesizedApp;
beforeAll(() => {
  synth = synthApp({ bundle: false });
});
afterAll(() => rmSync(synth.outdir, { recursive: true, force: true }));

const ADMIN_ROUTES = ROUTES.filter((route) => route.authorization === 'aws-iam');

describe('admin API in the cloud', () => {
  it('every /admin route, and only those, uses AWS IAM authorization', () => {
    expect(ADMIN_ROUTES.length).toBeGreaterThanOrEqual(4);
    expect(ROUTES.filter((r) => r.path.startsWith('/admin/'))).toEqual(ADMIN_ROUTES);
    const routes = Object.values(resourcesOf(synth.apiTemplate, 'AWS::ApiGatewayV2::Route'));
    for (const route of routes) {
      const key: string = route.Properties!.RouteKey;
      const isAdmin = key.split(' ')[1]?.startsWith('/admin/') ?? false;
      expect([key, route.Properties!.AuthorizationType ?? 'NONE']).toEqual([
        key,
        isAdmin ? 'AWS_IAM' : 'NONE',
      ]);
    }
  });

  it('outputs a managed policy allowing execute-api:Invoke on exactly the admin routes, with a stable export name', () => {
    const policies = Object.values(resourcesOf(synth.apiTemplate, 'AWS::IAM::ManagedPolicy'));
    expect(policies).toHaveLength(1);
    const statements = policies[0]!.Properties!.PolicyDocument.Statement;
    expect(statements).toHaveLength(1);
    expect(statements[0].Effect).toBe('Allow');
    expect(statements[0].Action).toBe('execute-api:Invoke');
    const resources = JSON.stringify(statements[0].Resource);
    for (const route of ADMIN_ROUTES) {
      const path = route.path.replace(/\{[^}]+\}/g, '*');
      expect(resources).toContain(`/$default/${route.method}${path}`);
    }
    expect(resources).not.toContain('/links/me');
    expect(resources).not.toContain('*/*"');

    const output = synth.apiTemplate.findOutputs('AdminApiPolicyArn');
    const [only] = Object.values(output);
    expect(only!.Export.Name).toBe(`${synth.settings.stackPrefix}-Api-AdminApiPolicyArn`);
    expect(only!.Value).toEqual({
      Ref: Object.keys(resourcesOf(synth.apiTemplate, 'AWS::IAM::ManagedPolicy'))[0],
    });
  });
});
