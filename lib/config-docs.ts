import {
  SECRET_NAMES,
  VARIABLES,
  type SecretName,
  type VariableName,
} from '../functions/manifest/config-schema.js';
import {
  DEPLOYMENT_SETTINGS,
  LINK_PATTERNS,
  REQUIRED_WITH,
  type DeploymentSettingName,
} from '../functions/manifest/deployment-schema.js';
import { contextKey, SECRET_SPECS, SETTINGS_GROUPS, type SettingsGroup } from './settings.js';

/**
 * The configuration tables of README.md and docs/deploy.md, rendered from the schemas
 * (functions/manifest/config-schema.ts, deployment-schema.ts, lib/settings.ts), so a variable
 * has one meaning, written once, in the error messages and in every table. `npm run docs:config`
 * writes them between their markers; test/unit/docs/configuration-docs.test.ts fails when the
 * committed files differ.
 */

/** A table of the README's "Configuration": the variables of its settings groups. */
interface Section {
  readonly id: string;
  /** The bold line above the table (Markdown). */
  readonly title: string;
  readonly groups: readonly SettingsGroup[];
}

/**
 * The README's configuration tables, in order. A variable goes to the first section listing one
 * of its settings groups (lib/settings.ts `SETTINGS_GROUPS`), else to the last one.
 */
export const SECTIONS: readonly Section[] = [
  { id: 'line', title: '**LINE channels and tokens**', groups: ['line'] },
  { id: 'company-oidc', title: '**Company IdP, patterns `oidc` and `web`**', groups: ['company-oidc'] },
  { id: 'web', title: '**Web flow** ([details](docs/web-flow.md))', groups: ['web'] },
  {
    id: 'member-data',
    title: '**Member data, patterns `api` and `record`** ([details](docs/member-data.md))',
    groups: ['member-factors', 'company-api'],
  },
  {
    id: 'messaging',
    title:
      '**Messaging API: webhook, messages and pattern `account-link`** ([deploy](docs/deploy.md#connect-the-line-official-account-pattern-account-link); [how each event is applied exactly once](docs/webhook.md))',
    groups: ['messaging', 'account-link'],
  },
  {
    id: 'rich-menu',
    title: '**Rich menus by link status** ([below](#rich-menus-by-link-status))',
    groups: ['rich-menu'],
  },
  { id: 'runtime', title: '**Every function, tables, operations and command lines**', groups: [] },
];

/** Variables whose section is not the first of their groups'. */
const PLACED: Partial<Record<VariableName, string>> = {
  LINE_MESSAGING_CHANNEL_ID: 'messaging',
  MEMBERS_IMPORT_DELETE_MISSING: 'member-data',
  MEMBERS_IMPORT_CONCURRENCY: 'member-data',
  LINE_API_DATA_BASE: 'rich-menu',
};

/** The section of each secret (a secret not listed goes to the last section). */
const SECRET_SECTIONS: Partial<Record<SecretName, string>> = {
  LINE_CHANNEL_SECRET: 'web',
  COMPANY_OIDC_CLIENT_SECRET: 'web',
  COMPANY_OIDC_PRIVATE_KEY: 'web',
  LINE_MESSAGING_CHANNEL_SECRET: 'messaging',
  MEMBER_HASH_PEPPER: 'member-data',
  COMPANY_API_CLIENT_SECRET: 'member-data',
  COMPANY_API_KEY: 'member-data',
};

/** Variables that Powertools reads itself (not in the schema): documented in the last section. */
export const POWERTOOLS_OWN: Readonly<Record<string, { meaning: string; default: string }>> = {
  POWERTOOLS_LOG_LEVEL: {
    meaning: 'log level of the structured JSON logs (set by the API stack from LOG_LEVEL)',
    default: '`INFO`',
  },
};

/** One rendered row: the variable (or secret) it documents and its three cells. */
export interface ConfigRow {
  readonly name: string;
  readonly cells: readonly [string, string, string];
}

function sectionOf(name: VariableName): string {
  const placed = PLACED[name];
  if (placed) return placed;
  const groups = (Object.keys(SETTINGS_GROUPS) as SettingsGroup[]).filter((g) =>
    SETTINGS_GROUPS[g].variables.includes(name),
  );
  return SECTIONS.find((s) => s.groups.some((g) => groups.includes(g)))?.id ?? SECTIONS.at(-1)!.id;
}

const code = (value: string) => `\`${value}\``;

/** The default column: the default, when a deployment must give it, and what unset means. */
function defaultCell(name: VariableName): string {
  const variable = VARIABLES[name] as { default?: string; whenUnset?: string };
  const required = REQUIRED_WITH[name];
  const patterns = required?.patterns.map(code).join(', ');
  const condition = required?.condition ? ` with ${code(required.condition)}` : '';
  const parts: string[] = [];
  if (variable.default !== undefined) {
    parts.push(code(variable.default));
    if (required) parts.push(`a deployment with ${patterns} must set it${condition}`);
  } else if (required) {
    parts.push(
      required.patterns.length === LINK_PATTERNS.length ? 'required' : `required for ${patterns}${condition}`,
    );
  }
  if (variable.whenUnset !== undefined && variable.default === undefined)
    parts.push(required ? `else ${variable.whenUnset}` : variable.whenUnset);
  if (parts.length === 0) parts.push('unset');
  return parts.join('; ');
}

/** Lower-cases the first letter, except in an acronym ("API key", "OAuth client"). */
function lowerFirst(text: string): string {
  return /^.[A-Z]/.test(text) ? text : text.charAt(0).toLowerCase() + text.slice(1);
}

function secretRow(secret: SecretName): ConfigRow {
  const description = SECRET_SPECS[secret as keyof typeof SECRET_SPECS]?.description ?? '';
  return {
    name: secret,
    cells: [
      `${code(secret)} (${code('_ARN')})`,
      lowerFirst(description).replace(/\.$/, ''),
      `a secret: in Lambda ${code(`${secret}_ARN`)}`,
    ],
  };
}

/** The rows of one README section: its variables in schema order, then its secrets. */
export function readmeRows(sectionId: string): ConfigRow[] {
  const last = SECTIONS.at(-1)!.id;
  const variables = (Object.keys(VARIABLES) as VariableName[])
    .filter((name) => sectionOf(name) === sectionId)
    .map((name): ConfigRow => ({
      name,
      cells: [code(name), VARIABLES[name].description, defaultCell(name)],
    }));
  const secrets = SECRET_NAMES.filter((s) => (SECRET_SECTIONS[s] ?? last) === sectionId).map(secretRow);
  const own =
    sectionId === last
      ? Object.entries(POWERTOOLS_OWN).map(([name, v]): ConfigRow => ({
          name,
          cells: [code(name), v.meaning, v.default],
        }))
      : [];
  return [...variables, ...secrets, ...own];
}

/** The deployment-only settings (deployment-schema.ts) and the existing-secret ARNs, for docs/deploy.md. */
export function deploymentRows(): ConfigRow[] {
  const settings = (Object.keys(DEPLOYMENT_SETTINGS) as DeploymentSettingName[]).map((name): ConfigRow => {
    const setting = DEPLOYMENT_SETTINGS[name] as { description: string; default?: string };
    return {
      name,
      cells: [
        `${code(contextKey(name))} (${code(name)})`,
        setting.description,
        setting.default === undefined ? 'unset' : code(setting.default),
      ],
    };
  });
  const secrets = (Object.keys(SECRET_SPECS) as SecretName[]).map((secret): ConfigRow => ({
    name: `${secret}_ARN`,
    cells: [
      `${code(contextKey(`${secret}_ARN`))} (${code(`${secret}_ARN`)})`,
      `an existing Secrets Manager secret for ${code(secret)}, used instead of creating one`,
      'unset: created',
    ],
  }));
  return [...settings, ...secrets];
}

/** A Markdown table (unaligned: `npm run docs:config` formats it with Prettier). */
export function markdownTable(header: readonly string[], rows: readonly ConfigRow[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map((row) => line(row.cells))].join('\n');
}

/** The generated blocks: marker id → Markdown, per file. */
export function generatedBlocks(): Record<'README.md' | 'docs/deploy.md', Record<string, string>> {
  return {
    'README.md': Object.fromEntries(
      SECTIONS.map((s) => [
        `config-${s.id}`,
        `${s.title}\n\n${markdownTable(['name', 'meaning', 'default'], readmeRows(s.id))}`,
      ]),
    ),
    'docs/deploy.md': {
      'deployment-settings': markdownTable(['context key (name)', 'meaning', 'default'], deploymentRows()),
    },
  };
}

/** The markers around a generated block. */
export function markers(id: string): { start: string; end: string } {
  return {
    start: `<!-- generated:${id} by \`npm run docs:config\` from the schema; edit the schema, not this table -->`,
    end: `<!-- end generated:${id} -->`,
  };
}

/**
 * `text` with each block replaced between its markers; throws naming a block whose markers are
 * missing.
 */
export function replaceBlocks(text: string, blocks: Record<string, string>, file: string): string {
  let result = text;
  for (const [id, body] of Object.entries(blocks)) {
    const { start, end } = markers(id);
    const from = result.indexOf(start);
    const to = result.indexOf(end);
    if (from < 0 || to < from)
      throw new Error(`${file} has no "${start}" … "${end}" pair: put it where the table goes.`);
    result = `${result.slice(0, from + start.length)}\n\n${body}\n\n${result.slice(to)}`;
  }
  return result;
}

/** The text between a block's markers (undefined when they are missing). */
export function blockText(text: string, id: string): string | undefined {
  const { start, end } = markers(id);
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  return from < 0 || to < from ? undefined : text.slice(from + start.length, to);
}
