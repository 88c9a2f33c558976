import { readdirSync } from 'node:fs';
import { SECRET_NAMES, VARIABLES } from '../../../functions/manifest/config-schema.js';
import { DEPLOYMENT_SETTINGS } from '../../../functions/manifest/deployment-schema.js';
import { blockText, generatedBlocks, POWERTOOLS_OWN } from '../../../lib/config-docs.js';
import {
  backticked,
  readDoc,
  ROOT,
  section,
  tableRows,
  type TableRow,
} from '../../support/markdown-tables.js';

/**
 * One meaning per variable: the schema's (functions/manifest/config-schema.ts,
 * deployment-schema.ts). The README's configuration tables and docs/deploy.md's settings table
 * are generated from it (`npm run docs:config`, lib/config-docs.ts) and must be as committed;
 * every other table row in docs/ that documents a variable gives the schema's meaning (it may
 * add detail) and default.
 */
const RUN = 'run `npm run docs:config` and commit the result';
type Doc = { path: string; rows: TableRow[] };
const README: Doc = {
  path: 'README.md',
  rows: tableRows(section(readDoc('README.md'), '## Configuration')),
};
const PAGES: Doc[] = readdirSync(`${ROOT}docs`)
  .filter((f) => f.endsWith('.md'))
  .map((f) => ({ path: `docs/${f}`, rows: tableRows(readDoc(`docs/${f}`)) }));

const SETTINGS = { ...VARIABLES, ...DEPLOYMENT_SETTINGS } as Record<
  string,
  { description: string; default?: string }
>;
const SECRETS = new Set<string>(SECRET_NAMES);
const isName = (s: string) => /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/.test(s);

/** The variables a row documents: the names in backticks of a first cell that starts with one (`_ARN` folded). */
function namesOf(row: TableRow): string[] {
  const first = row.cells[0] ?? '';
  if (!first.startsWith('`')) return [];
  return backticked(first)
    .filter(isName)
    .map((n) => (SECRETS.has(n.replace(/_ARN$/, '')) ? n.replace(/_ARN$/, '') : n));
}
const configRows = (doc: Doc) => doc.rows.filter((row) => namesOf(row).length > 0);
/** Text compared without case, backticks, runs of spaces or a final period. */
const plain = (text: string) =>
  text.toLowerCase().replace(/`/g, '').replace(/\s+/g, ' ').replace(/\.$/, '').trim();

describe('the generated configuration tables are as committed', () => {
  const cases = Object.entries(generatedBlocks()).flatMap(([file, blocks]) =>
    Object.entries(blocks).flatMap(([id, body]) => {
      const committed = blockText(readDoc(file), id);
      const rows = new Map(tableRows(committed ?? '').map((row) => [row.cells[0], row.cells]));
      const title = body.split('\n\n')[0]!;
      return [
        [`${file} ${id}: markers and title`, file, committed, title, undefined] as const,
        ...tableRows(body).map(
          (row) => [`${file} ${id}: ${row.cells[0]}`, file, committed, row.cells, rows] as const,
        ),
      ];
    }),
  );
  test.each(cases)('%s', (_, file, committed, expected, rows) => {
    if (committed === undefined)
      throw new Error(`${file} lacks the markers of a generated table: ${RUN} (it says where they go).`);
    if (typeof expected === 'string') {
      if (!expected.startsWith('|') && !committed.includes(expected))
        throw new Error(`${file}: the title "${expected}" is out of date: ${RUN}.`);
      return;
    }
    const actual = rows!.get(expected[0]);
    if (!actual || actual.join('|') !== expected.join('|'))
      throw new Error(
        `${file}: the row of ${expected[0]} is ${actual ? 'out of date' : 'missing'} ` +
          `(its meaning and default come from the schema): ${RUN}.\n` +
          `expected: | ${expected.join(' | ')} |\n` +
          `actual:   ${actual ? `| ${actual.join(' | ')} |` : '(none)'}`,
      );
  });

  test('no generated table has a row the schema lacks', () => {
    const extra = Object.entries(generatedBlocks()).flatMap(([file, blocks]) =>
      Object.entries(blocks).flatMap(([id, body]) => {
        const expected = new Set(tableRows(body).map((row) => row.cells[0]));
        return tableRows(blockText(readDoc(file), id) ?? '')
          .filter((row) => !expected.has(row.cells[0]))
          .map((row) => `${file} ${id}: ${row.cells[0]}`);
      }),
    );
    if (extra.length > 0) throw new Error(`Rows no longer in the schema: ${extra.join(', ')}: ${RUN}.`);
  });
});

describe('every variable of the configuration schema is in the README', () => {
  const documented = new Set(configRows(README).flatMap(namesOf));
  test.each([...Object.keys(VARIABLES), ...SECRET_NAMES])('%s', (name) => {
    if (!documented.has(name))
      throw new Error(
        `${name} is in functions/manifest/config-schema.ts but in no table of README.md's "## Configuration": ${RUN}.`,
      );
  });
});

describe("a variable documented in docs/ has the schema's meaning and default", () => {
  const cases = PAGES.flatMap((doc) =>
    configRows(doc).map((row) => [`${doc.path}:${row.line} ${namesOf(row).join(', ')}`, doc, row] as const),
  );
  test.each(cases)('%s', (_, doc, row) => {
    const names = namesOf(row).filter((n) => !SECRETS.has(n) && !(n in POWERTOOLS_OWN));
    const where = `${doc.path}:${row.line}`;
    const unknown = names.filter((n) => !(n in SETTINGS));
    if (unknown.length > 0)
      throw new Error(
        `${where}: ${unknown.join(', ')} is documented but is in neither functions/manifest/config-schema.ts nor deployment-schema.ts.`,
      );
    if (names.length === 0) return;
    if (names.length > 1)
      throw new Error(
        `${where} documents ${names.join(', ')} in one row: give each its own row (with the schema's meaning), or link to the README's row instead of a table.`,
      );
    const name = names[0]!;
    const { description, default: value } = SETTINGS[name]!;
    if (!plain(row.cells[1] ?? '').includes(plain(description)))
      throw new Error(
        `${where}: the meaning of ${name} must contain the schema's, "${description}" ` +
          `(functions/manifest/config-schema.ts; change it there if this page words it better, then ${RUN}), ` +
          `or the row must go in favour of a link to the README's row.`,
      );
    if (value !== undefined && row.cells[2] !== undefined) {
      const pattern = new RegExp(`(^|[^\\w.,])${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w.,])`);
      expect({ name, default: row.cells[2] }).toEqual({ name, default: expect.stringMatching(pattern) });
    }
  });
});
