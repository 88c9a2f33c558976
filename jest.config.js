import { execFileSync } from 'node:child_process';

/**
 * Jest runs TypeScript as native ESM through @swc/jest (fast transform, no type check:
 * `npm run typecheck` does that). Each project is one folder of test/: unit, integration, infra,
 * and e2e, the browser tests (`*.e2e.test.ts`), which need Debian's Chromium; the
 * deployed project reruns some integration suites. The integration and e2e projects start
 * DynamoDB Local, once per project, in their globalSetup.
 *
 * Without Chromium the e2e project is left out and the run says so; in CI (`CI=true`) it always
 * runs, so a machine without Chromium fails loudly instead of passing quietly.
 */
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'es6' },
    },
  ],
};

const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform,
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/support/test-env.ts'],
};

const withDynamoDbLocal = {
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
};

/**
 * The HTTP contract suites that also run against the deployed-artifact mode (the bundles of a
 * CLI-synthesized cdk.out, as the template wires them). A suite that needs settings other than
 * the synthesized ones (test/support/deployed-settings.json: the company API with an API key,
 * private_key_jwt, a pattern switched off) runs against the source only.
 */
const DEPLOYED_SUITES = [
  'links/links-oidc',
  'links/links-company-token-replay',
  'links/links-channels',
  'links/deauthorize',
  'members/links-by-record',
  'admin/admin-api',
  'admin/admin-messages',
  'admin/admin-erasure',
  'admin/admin-audiences',
  'web-flow/web-flow',
  'messaging/webhook-line',
  'webhook/line-webhook-emulator',
  'webhook/webhook-work',
  'audit/audit-trail',
  'members/links-by-api',
  'members/attempt-scopes',
  'openapi/openapi-conformance',
  // The job worker behind the template's queue (redelivery, redrive); skipped from the source.
  'handlers/messages-batch-sqs',
];
// The deployed project's teardown judges the run's unused grants only when all of them ran.
process.env.LINE_ID_LINK_DEPLOYED_SUITES = String(DEPLOYED_SUITES.length);

function hasChromium() {
  try {
    execFileSync('/bin/sh', ['-c', 'command -v chromium'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const runE2e = process.env.CI === 'true' || hasChromium();
if (!runE2e) {
  process.stderr.write(
    'jest: SKIPPING the e2e project (browser tests, test/e2e/): Chromium is not installed. ' +
      'Install it with `apt-get install -y chromium` to run them.\n',
  );
}

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      ...withDynamoDbLocal,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'infra',
      globalSetup: '<rootDir>/test/support/assembly-global-setup.mjs',
      globalTeardown: '<rootDir>/test/support/assembly-global-teardown.mjs',
      testMatch: ['<rootDir>/test/infra/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'deployed',
      globalSetup: '<rootDir>/test/support/deployed-global-setup.mjs',
      globalTeardown: '<rootDir>/test/support/deployed-global-teardown.mjs',
      setupFiles: [...common.setupFiles, '<rootDir>/test/support/deployed-target.ts'],
      testMatch: DEPLOYED_SUITES.map((suite) => `<rootDir>/test/integration/${suite}.test.ts`),
    },
    ...(runE2e
      ? [
          {
            ...common,
            ...withDynamoDbLocal,
            displayName: 'e2e',
            testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
          },
        ]
      : []),
  ],
  testTimeout: 30000,
  ...(runE2e ? {} : { reporters: ['default', '<rootDir>/test/support/skipped-e2e-reporter.mjs'] }),
};
