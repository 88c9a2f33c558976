import { basename } from 'node:path';

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
  /**
   * The Messaging API channel the LINE emulator plays, when it runs: what `npm run send` needs to
   * send without the API (a secret the user set is shown as a placeholder, never printed).
   */
  messagingChannel?: { channelId: string; channelSecret: string };
  /** `npm run start:deployed`: what runs from the cloud assembly, and what the mode changed. */
  deployed?: DeployedBannerInput;
  /**
   * `npm start`: the file the functions' structured logs go to, and whether they are printed
   * too (`--verbose`); unset: not said (the deployed mode says its own).
   */
  functionLogs?: { file: string; verbose: boolean };
}

/** What `npm run start:deployed` adds to the banner, so nobody mistakes it for the source. */
export interface DeployedBannerInput {
  /** The cloud assembly the API runs from. */
  outdir: string;
  /** `NAME=value` the overlay put over the template's environment (DeployedApi.overlayApplied). */
  overlayApplied: readonly string[];
  /** One entry per route or event source, each with the bundle that serves it. */
  functions: ReadonlyArray<{ trigger: string; name: string; assetDir: string }>;
}

/**
 * The lines `npm start` prints once everything runs (the README quotes them; a unit test keeps
 * the two equal). Each request then adds one line: method, path, status, milliseconds.
 */
export function formatDevBanner(input: DevBannerInput): string {
  return [
    '',
    input.deployed
      ? `line-id-link is running locally from the deployable artifacts in ${input.deployed.outdir}.`
      : 'line-id-link is running locally.',
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
          '',
          'Send LINE messages from a terminal (npm run send) through the admin API, signed with these:',
          `  AWS_ACCESS_KEY_ID=${input.adminCredentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${input.adminCredentials.secretAccessKey} \\`,
          `  npm run send -- --api ${input.apiUrl} --to members.csv --message message.json`,
          ...(input.messagingChannel && input.lineEmulatorUrl
            ? [
                'or straight to the LINE emulator:',
                `  LINE_API_BASE=${input.lineEmulatorUrl} LINE_MESSAGING_CHANNEL_ID=${input.messagingChannel.channelId} \\`,
                `  LINE_MESSAGING_CHANNEL_SECRET=${input.messagingChannel.channelSecret} \\`,
                '  npm run send -- --to members.csv --message message.json',
              ]
            : []),
        ]
      : []),
    ...(input.deployed ? ['', ...formatDeployed(input.deployed)] : []),
    '',
    'Press Ctrl+C to stop. Each request prints a line: method, path, status, time.',
    ...(input.deployed ? ['Function logs: only WARN and ERROR lines, each after its function name.'] : []),
    ...(input.functionLogs
      ? [
          `Function logs (JSON, one entry a line): ${input.functionLogs.file}` +
            (input.functionLogs.verbose
              ? ', and printed here (--verbose).'
              : ' (npm start -- --verbose prints them too).'),
        ]
      : []),
  ].join('\n');
}

function formatDeployed(deployed: DeployedBannerInput): string[] {
  const width = Math.max(...deployed.functions.map((f) => f.trigger.length));
  return [
    `Functions (${deployed.functions.length}), each from its asset bundle as cdk deploy uploads it:`,
    ...deployed.functions.map(
      (f) =>
        `  ${f.trigger.padEnd(width)}  ${f.name} (${basename(f.assetDir).slice(0, 'asset.'.length + 12)}…)`,
    ),
    '',
    'Environment the mode puts over the template (emulator endpoints, local AWS):',
    ...deployed.overlayApplied.map((entry) => `  ${entry}`),
  ];
}

/**
 * `LineIdLink-Api/MessageJobs/Worker/Function/Resource` → `MessageJobs/Worker`: the function as
 * the app's code names it, short enough to prefix log lines and banner rows.
 */
export function functionLabel(constructPath: string): string {
  return constructPath
    .split('/')
    .slice(1)
    .filter((part) => part !== 'Function' && part !== 'Resource')
    .join('/');
}

const LOUD_LEVELS = new Set(['WARN', 'WARNING', 'ERROR', 'CRITICAL', 'FATAL']);

/**
 * The line `npm run start:deployed` prints for a line a function wrote, or undefined to drop it:
 * only warnings and errors, each after the function's name. Powertools writes one JSON object per
 * line with a `level`; other output (console.error, the function host's own notes) is kept when
 * it says warning or error.
 */
export function functionLogLine(line: string, constructPath: string): string | undefined {
  let loud: boolean;
  try {
    const entry: unknown = JSON.parse(line);
    const level = (entry as { level?: unknown } | null)?.level;
    loud = typeof level === 'string' && LOUD_LEVELS.has(level.toUpperCase());
  } catch {
    loud = /(warn(ing)?|error|exception)\b/i.test(line) || line.startsWith('[function host]');
  }
  return loud ? `[${functionLabel(constructPath)}] ${line}` : undefined;
}

/**
 * What `npm run start:deployed` says when it stops: the AWS calls of the session checked against
 * each calling function's role in the template. The local endpoint serves every call, so a call
 * listed here worked locally and would meet AccessDenied in AWS.
 */
export function formatIamVerdict(report: {
  checked: number;
  denied: ReadonlyArray<{ functionName: string; action: string; resource: string; result: string }>;
}): string {
  if (report.denied.length === 0)
    return `IAM: the ${report.checked} AWS calls of this run are all allowed by their function's role.`;
  return [
    `IAM: of the ${report.checked} AWS calls of this run, these would be denied in AWS:`,
    ...report.denied.map((d) => `  ${d.functionName}: ${d.action} on ${d.resource} (${d.result})`),
  ].join('\n');
}
