import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  addComplianceChecks,
  addLineIdLinkStacks,
  type LineIdLinkStacks,
  type StackEnvironment,
} from '../../lib/line-id-link-app.js';
import { readSettings, type Settings } from '../../lib/settings.js';

/** Settings of a deployment with every linking pattern on (all routes of the manifest). */
export const ALL_PATTERNS_CONTEXT = {
  linkPatterns: 'oidc,web,api,record,account-link',
  lineChannelId: '1234567890',
  companyOidcIssuer: 'https://idp.example.com',
  companyOidcClientId: 'line-id-link',
  appReturnUrls: 'https://app.example.com/linked,https://app.example.com/other',
  corsAllowedOrigins: 'https://liff.example.com',
  companyApiUrl: 'https://api.example.com/members/verify',
  companyApiAuth: 'oauth',
  companyApiTokenUrl: 'https://idp.example.com/oauth2/token',
  companyApiClientId: 'line-id-link-api',
  memberFactors: 'birthDate,postalCode',
  lineMessagingChannelId: '2000000101',
} as const;

export interface SynthesizedApp extends LineIdLinkStacks {
  app: App;
  settings: Settings;
  outdir: string;
  statefulTemplate: Template;
  apiTemplate: Template;
}

/**
 * Builds the app as bin/app.ts does, from context only (never from this machine's environment).
 * `bundle: false` skips esbuild (template-only suites); `nag: true` adds the cdk-nag checks.
 */
export function synthApp(
  options: {
    context?: Record<string, unknown>;
    bundle?: boolean;
    nag?: boolean;
    /** Account and region as the CDK CLI resolves them; without, both stay tokens. */
    env?: StackEnvironment;
  } = {},
): SynthesizedApp {
  const outdir = mkdtempSync(join(tmpdir(), 'line-id-link-cdk-'));
  const context: Record<string, unknown> = { ...(options.context ?? ALL_PATTERNS_CONTEXT) };
  if (options.bundle === false) context['aws:cdk:bundling-stacks'] = [];
  const app = new App({ outdir, context });
  const settings = readSettings({ context: (key) => app.node.tryGetContext(key), env: {} });
  const stacks = addLineIdLinkStacks(app, settings, { env: options.env });
  if (options.nag) addComplianceChecks(app);
  app.synth();
  return {
    ...stacks,
    app,
    settings,
    outdir,
    statefulTemplate: Template.fromStack(stacks.stateful),
    apiTemplate: Template.fromStack(stacks.api),
  };
}

/** Template JSON, navigated freely by the assertions (a wrong path fails the test anyway). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

type Resources = Record<string, { Type: string; Properties?: Json; DependsOn?: string | string[] }>;

/** Resources of a type, by logical ID. */
export function resourcesOf(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

/**
 * Logical IDs on a dependency cycle inside one template (Ref, Fn::GetAtt, Fn::Sub, DependsOn),
 * which CDK does not detect and CloudFormation would refuse at deploy time.
 */
export function findCycle(template: Template): string[] | undefined {
  const resources = template.toJSON().Resources as Resources;
  const edges = new Map<string, Set<string>>();
  const refs = (value: unknown, into: Set<string>): void => {
    if (Array.isArray(value)) return value.forEach((v) => refs(v, into));
    if (!value || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' && typeof inner === 'string' && inner in resources) into.add(inner);
      else if (key === 'Fn::GetAtt' && Array.isArray(inner) && inner[0] in resources) into.add(inner[0]);
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(inner) ? inner[0] : inner;
        for (const match of String(text).matchAll(/\$\{([^}.!]+)/g))
          if (match[1]! in resources) into.add(match[1]!);
        if (Array.isArray(inner)) refs(inner[1], into);
      } else refs(inner, into);
    }
  };
  for (const [id, resource] of Object.entries(resources)) {
    const into = new Set<string>();
    refs(resource.Properties, into);
    for (const dep of [resource.DependsOn ?? []].flat()) into.add(dep);
    edges.set(id, into);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const next of edges.get(id) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of edges.keys()) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}
