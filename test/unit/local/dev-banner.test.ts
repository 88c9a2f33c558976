import { readFileSync } from 'node:fs';
import { formatDevBanner } from '../../../functions/local/dev-banner.js';
import { describePatterns } from '../../../functions/local/dev-stack.js';

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
    });
    // The banner starts with an empty line that separates it from npm's own header.
    expect(block).toBe(`${printed.replace(/^\n/, '')}\n`);
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
