import { describePatterns } from '../../../functions/local/dev-stack.js';

describe('npm start: which patterns are on', () => {
  test('names each pattern on or off, and the variable that turns an off one on', () => {
    const lines = describePatterns({
      COMPANY_OIDC_ISSUER: 'https://idp.example',
      MEMBER_HASH_PEPPER: 'x'.repeat(32),
    });
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/Pattern 1 .* on$/);
    expect(lines[1]).toMatch(/Pattern 2 .*POST \/links\/by-api.* off \(set COMPANY_API_URL\)$/);
    expect(lines[2]).toMatch(/Pattern 3 .* on$/);
    expect(lines[3]).toMatch(/Pattern 4 .* off \(set LINE_MESSAGING_CHANNEL_ID\)$/);
    expect(describePatterns({ COMPANY_API_URL: 'https://api.example/verify' })[1]).toMatch(/ on$/);
    expect(describePatterns({ LINE_MESSAGING_CHANNEL_ID: '2000000101' })[3]).toMatch(/ on$/);
  });
});
