import { readdirSync } from 'node:fs';
import { SECRET_NAMES, VARIABLES, type VariableName } from '../../../functions/manifest/config-schema.js';
import {
  backticked,
  readDoc,
  ROOT,
  section,
  tableRows,
  type TableRow,
} from '../../support/markdown-tables.js';

/**
 * Every variable and secret of the configuration schema (functions/manifest/config-schema.ts)
 * is in the README's configuration tables, and every table row that documents a variable, in the
 * README or in docs/, names one the schema has and gives the schema's default.
 */
type Doc = { path: string; rows: TableRow[] };
const README: Doc = {
  path: 'README.md',
  rows: tableRows(section(readDoc('README.md'), '## Configuration')),
};
const PAGES: Doc[] = readdirSync(`${ROOT}docs`)
  .filter((f) => f.endsWith('.md'))
  .map((f) => ({ path: `docs/${f}`, rows: tableRows(readDoc(`docs/${f}`)) }));

/** Powertools' own variables, read by Powertools itself (documented, not in the schema). */
const POWERTOOLS_OWN = ['POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_DEV', 'POWERTOOLS_METRICS_DISABLED'];
const SECRETS = new Set<string>(SECRET_NAMES);
const isName = (s: string) => /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/.test(s);

/** The variables a row documents: the names in backticks of a first cell that starts with one (`_ARN` folded). */
function namesOf(row: TableRow): string[] {
  const first = row.cells[0] ?? '';
  if (!first.startsWith('`')) return [];
  return backticked(first)
    .filter(isName)
    .map((n) => n.replace(/_ARN$/, ''));
}
const configRows = (doc: Doc) => doc.rows.filter((row) => namesOf(row).length > 0);

describe('every variable of the configuration schema is in the README', () => {
  const documented = new Set(configRows(README).flatMap(namesOf));
  test.each([...Object.keys(VARIABLES), ...SECRET_NAMES])('%s', (name) => {
    if (!documented.has(name)) {
      const meaning = (VARIABLES as Record<string, { description: string }>)[name]?.description;
      throw new Error(
        `${name} is in functions/manifest/config-schema.ts but in no table of README.md's "## Configuration": ` +
          `add a row "| \`${name}\` | ${meaning ?? '<what it is for>'} | <default> |".`,
      );
    }
  });
});

describe("a documented variable is in the schema, with the schema's default", () => {
  const cases = [README, ...PAGES].flatMap((doc) =>
    configRows(doc).flatMap((row) =>
      namesOf(row).map((name) => [`${doc.path}:${row.line} ${name}`, name, row] as const),
    ),
  );
  test.each(cases)('%s', (_, name, row) => {
    if (POWERTOOLS_OWN.includes(name) || SECRETS.has(name)) return;
    if (!(name in VARIABLES))
      throw new Error(`${name} is documented but is not in functions/manifest/config-schema.ts.`);
    const variable = VARIABLES[name as VariableName] as { description: string; default?: string };
    if (variable.default !== undefined && row.cells[2] !== undefined && namesOf(row).length === 1) {
      const value = variable.default.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      expect({ name, default: row.cells[2] }).toEqual({
        name,
        default: expect.stringMatching(new RegExp(`(^|[^\\w.,])${value}($|[^\\w.,])`)),
      });
    }
  });
});
