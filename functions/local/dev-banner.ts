/** What the banner of `npm start` shows. */
export interface DevBannerInput {
  demoUrl: string;
  apiUrl: string;
  dynamoEndpoint: string;
  /** The LINE emulator's URL, or undefined when LINE_API_BASE points elsewhere. */
  lineEmulatorUrl?: string;
  lineApiBase?: string;
  companyEmulatorUrl?: string;
  companyIssuer?: string;
  /** Which linking patterns are on, one line each (dev-stack `describePatterns`). */
  patterns?: readonly string[];
  /** The local credentials the admin API checks SigV4 signatures with. */
  adminCredentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * The lines `npm start` prints once everything runs (the README quotes them; a unit test keeps
 * the two equal). Each request then adds one line: method, path, status, milliseconds.
 */
export function formatDevBanner(input: DevBannerInput): string {
  return [
    '',
    'line-id-link is running locally.',
    `  Demo (the LIFF app):  ${input.demoUrl}`,
    `  API:                  ${input.apiUrl}`,
    `  API description:      ${input.apiUrl}/openapi.json`,
    `  DynamoDB:             ${input.dynamoEndpoint}`,
    `  LINE Platform:        ${input.lineEmulatorUrl ? `${input.lineEmulatorUrl} (emulator)` : input.lineApiBase}`,
    `  Company IdP:          ${input.companyEmulatorUrl ? `${input.companyEmulatorUrl} (emulator)` : input.companyIssuer}`,
    ...(input.lineEmulatorUrl ? [`  LINE chats:           ${input.lineEmulatorUrl}/_emulator/chat`] : []),
    ...(input.patterns?.length ? ['', ...input.patterns] : []),
    ...(input.adminCredentials
      ? [
          '',
          'Admin API (/admin/…): sign requests with AWS Signature V4, service execute-api, any region:',
          `  AWS_ACCESS_KEY_ID=${input.adminCredentials.accessKeyId}`,
          `  AWS_SECRET_ACCESS_KEY=${input.adminCredentials.secretAccessKey}`,
          '  (set LOCAL_ADMIN_ACCESS_KEY_ID / LOCAL_ADMIN_SECRET_ACCESS_KEY to keep them between runs)',
        ]
      : []),
    '',
    'Press Ctrl+C to stop. Each request prints a line: method, path, status, time.',
  ].join('\n');
}
