import { readFileSync } from 'node:fs';
import {
  formatDevBanner,
  formatIamVerdict,
  functionLabel,
  functionLogLine,
} from '../../../functions/local/dev-banner.js';
import { describePatterns } from '../../../functions/local/dev-stack.js';
import {
  MESSAGING_CHANNEL_ID,
  MESSAGING_CHANNEL_SECRET,
} from '../../../functions/local/emulators/test-identities.js';

describe('the npm start banner', () => {
  test('the README quotes exactly what npm start prints with the default PORT', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const block = /`npm start` prints[^\n]*\n\n```\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const printed = formatDevBanner({
      demoUrl: 'http://localhost:3000/demo/',
      apiUrl: 'http://localhost:3000',
      dynamoEndpoint: 'http://127.0.0.1:41234', // random in reality; the README says so
      lineEmulatorUrl: 'http://127.0.0.1:3001',
      companyEmulatorUrl: 'http://127.0.0.1:3002',
      patterns: describePatterns({
        COMPANY_OIDC_ISSUER: 'http://127.0.0.1:3002',
        COMPANY_API_URL: 'http://127.0.0.1:3002/members/verify',
        MEMBER_HASH_PEPPER: 'local',
        LINE_MESSAGING_CHANNEL_ID: '2000000101',
      }),
      // Random per run unless LOCAL_ADMIN_ACCESS_KEY_ID / _SECRET_ACCESS_KEY are set.
      adminCredentials: { accessKeyId: 'LOCALADMINEXAMPLE', secretAccessKey: 'local-admin-secret-example' },
      // Named after the day (UTC) of the start.
      functionLogs: { file: '.data/logs/2026-12-07.jsonl', verbose: false },
      messagingChannel: { channelId: MESSAGING_CHANNEL_ID, channelSecret: MESSAGING_CHANNEL_SECRET },
    });
    // The banner starts with an empty line that separates it from npm's own header.
    expect(block).toBe(`${printed.replace(/^\n/, '')}\n`);
  });

  test('gives the exact values of a local npm run send: through the API, or straight to the LINE emulator', () => {
    const text = formatDevBanner({
      demoUrl: 'http://localhost:4500/demo/',
      apiUrl: 'http://localhost:4500',
      dynamoEndpoint: 'http://127.0.0.1:8000',
      lineEmulatorUrl: 'http://127.0.0.1:4501',
      adminCredentials: { accessKeyId: 'AKIAKEY', secretAccessKey: 'the-secret' },
      messagingChannel: { channelId: '2000000101', channelSecret: 'channel-secret' },
    });
    expect(text).toContain(
      '  AWS_ACCESS_KEY_ID=AKIAKEY AWS_SECRET_ACCESS_KEY=the-secret \\\n' +
        '  npm run send -- --api http://localhost:4500 --to members.csv --message message.json\n',
    );
    expect(text).toContain(
      '  LINE_API_BASE=http://127.0.0.1:4501 LINE_MESSAGING_CHANNEL_ID=2000000101 \\\n' +
        '  LINE_MESSAGING_CHANNEL_SECRET=channel-secret \\\n' +
        '  npm run send -- --to members.csv --message message.json\n',
    );
    const noEmulator = formatDevBanner({
      demoUrl: 'http://localhost:4500/demo/',
      apiUrl: 'http://localhost:4500',
      dynamoEndpoint: 'http://127.0.0.1:8000',
      lineApiBase: 'https://api.line.me',
      adminCredentials: { accessKeyId: 'AKIAKEY', secretAccessKey: 'the-secret' },
      messagingChannel: { channelId: '2000000101', channelSecret: 'channel-secret' },
    });
    expect(noEmulator).toContain('npm run send -- --api http://localhost:4500');
    expect(noEmulator).not.toContain('LINE_MESSAGING_CHANNEL_SECRET=');
  });

  test('docs/line-emulator.md and docs/admin-api.md give the same local values as the emulator', () => {
    for (const doc of ['docs/line-emulator.md', 'docs/admin-api.md']) {
      const text = readFileSync(new URL(`../../../${doc}`, import.meta.url), 'utf8');
      expect(text).toContain('LINE_API_BASE=http://127.0.0.1:3001');
      expect(text).toContain(`LINE_MESSAGING_CHANNEL_ID=${MESSAGING_CHANNEL_ID}`);
      expect(text).toContain(`LINE_MESSAGING_CHANNEL_SECRET=${MESSAGING_CHANNEL_SECRET}`);
    }
  });

  test('names what replaces an emulator that is switched off', () => {
    const text = formatDevBanner({
      demoUrl: 'http://localhost:3000/demo/',
      apiUrl: 'http://localhost:3000',
      dynamoEndpoint: 'http://127.0.0.1:8000',
      lineApiBase: 'https://api.line.me',
      companyIssuer: 'https://idp.example.com',
    });
    expect(text).toContain('  LINE Platform:        https://api.line.me\n');
    expect(text).toContain('  Company IdP:          https://idp.example.com\n');
  });
});

describe('the npm run start:deployed banner and function logs', () => {
  const base = {
    demoUrl: 'http://localhost:3100/demo/',
    apiUrl: 'http://localhost:3100',
    dynamoEndpoint: 'http://127.0.0.1:8000',
  };

  test('says the API runs from cdk.out, lists each trigger with its bundle and what the overlay replaced', () => {
    const text = formatDevBanner({
      ...base,
      deployed: {
        outdir: '.data/cdk.out',
        overlayApplied: ['AWS_ENDPOINT_URL=(per function)', 'LINE_API_BASE=http://127.0.0.1:3101'],
        functions: [
          {
            trigger: 'POST /links',
            name: 'LinksPost',
            assetDir: '/w/.data/cdk.out/asset.a66c7f455d90999a2db0',
          },
          {
            trigger: 'DynamoDB stream',
            name: 'LinkEvents/Publisher',
            assetDir: '/w/cdk.out/asset.4419a941057fda',
          },
        ],
      },
    });
    expect(text).toContain('running locally from the deployable artifacts in .data/cdk.out.');
    expect(text).toContain('Functions (2), each from its asset bundle');
    expect(text).toContain('\n  POST /links      LinksPost (asset.a66c7f455d90…)\n');
    expect(text).toContain('\n  DynamoDB stream  LinkEvents/Publisher (asset.4419a941057f…)\n');
    expect(text).toContain('\n  LINE_API_BASE=http://127.0.0.1:3101\n');
    expect(formatDevBanner(base)).not.toContain('deployable artifacts');
  });

  test('keeps only warnings and errors, after the function name', () => {
    const path = 'LineIdLink-Api/MessageJobs/Worker/Function/Resource';
    expect(functionLabel(path)).toBe('MessageJobs/Worker');
    const warn = JSON.stringify({ level: 'WARN', message: 'retrying' });
    expect(functionLogLine(warn, path)).toBe(`[MessageJobs/Worker] ${warn}`);
    expect(functionLogLine(JSON.stringify({ level: 'error', message: 'x' }), path)).toMatch(/^\[MessageJobs/);
    expect(functionLogLine(JSON.stringify({ level: 'INFO', message: 'linked' }), path)).toBeUndefined();
    expect(
      functionLogLine(JSON.stringify({ level: 'DEBUG', message: 'an error word' }), path),
    ).toBeUndefined();
    expect(functionLogLine('TypeError: x is not a function', path)).toBe(
      '[MessageJobs/Worker] TypeError: x is not a function',
    );
    expect(functionLogLine('started in 12 ms', path)).toBeUndefined();
  });
});

describe('what npm run start:deployed says about IAM when it stops', () => {
  test('all allowed, or each call the role would deny with its function', () => {
    expect(formatIamVerdict({ checked: 12, denied: [] })).toBe(
      "IAM: the 12 AWS calls of this run are all allowed by their function's role.",
    );
    const text = formatIamVerdict({
      checked: 12,
      denied: [
        {
          functionName: 'AdminMessagesPost',
          action: 'sqs:SendMessage',
          resource: 'arn:aws:sqs:us-east-1:000000000000:q',
          result: 'ImplicitlyDenied',
        },
      ],
    });
    expect(text.split('\n')).toEqual([
      'IAM: of the 12 AWS calls of this run, these would be denied in AWS:',
      '  AdminMessagesPost: sqs:SendMessage on arn:aws:sqs:us-east-1:000000000000:q (ImplicitlyDenied)',
    ]);
  });
});
