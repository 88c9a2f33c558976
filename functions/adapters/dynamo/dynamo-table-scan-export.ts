import { once } from 'node:events';
import type { Writable } from 'node:stream';
import {
  DescribeTableCommand,
  ScanCommand,
  type AttributeValue,
  type DynamoDBClient,
  type ScanCommandInput,
} from '@aws-sdk/client-dynamodb';
import { AUDIT_ITEM_FIELDS } from '../../manifest/audit-fields.js';
import { csvRecord, UTF8_BOM, type CsvOptions } from '../csv/csv-record.js';

/** What to export: the links (one row per link) or the audit events. */
export type ExportKind = 'links' | 'audit';
export type ExportFormat = 'csv' | 'jsonl';

/** How a column is stored: a string, a number (JSONL: a JSON number) or a boolean. */
type ColumnKind = 'S' | 'N' | 'BOOL';

/**
 * Columns of each kind with their stored type, in file order (CSV header and JSONL key order).
 * The audit columns are the audit trail's own field list (functions/manifest/audit-fields.ts),
 * the one the audit log writes its items from: every field any event type carries is exported.
 */
const COLUMN_KINDS: Record<ExportKind, Readonly<Record<string, ColumnKind>>> = {
  // `channelId`: the LINE channel whose token linked (empty on links made before it was kept).
  // `friend`: true / false, or empty (JSONL: null) when never learned.
  links: { lineUserId: 'S', companyUserId: 'S', method: 'S', linkedAt: 'S', channelId: 'S', friend: 'BOOL' },
  audit: Object.fromEntries(Object.entries(AUDIT_ITEM_FIELDS).map(([name, field]) => [name, field.kind])),
};

/** Columns of each kind, in file order (CSV header and JSONL key order). */
export const EXPORT_COLUMNS: Record<ExportKind, readonly string[]> = {
  links: Object.keys(COLUMN_KINDS.links),
  audit: Object.keys(COLUMN_KINDS.audit),
};

/**
 * Attributes without which an item is not a row (e.g. a half-written item edited by hand). An
 * audit row needs only a time and a type: admin actions have no LINE user.
 */
const REQUIRED_COLUMNS = {
  links: ['lineUserId', 'companyUserId', 'method', 'linkedAt'],
  audit: ['at', 'type'],
} as const satisfies Record<ExportKind, readonly string[]>;

/** The attribute `--since` compares with, per kind. */
const TIME_ATTRIBUTE: Record<ExportKind, string> = { links: 'linkedAt', audit: 'at' };

export const DEFAULT_SEGMENTS = 4;
export const MAX_SEGMENTS = 1000;

export interface ScanExportOptions {
  /** A low-level DynamoDB client (DynamoDB Local or AWS). */
  client: DynamoDBClient;
  tableName: string;
  kind: ExportKind;
  format: ExportFormat;
  /** Where the rows go; its backpressure is honoured, so memory stays constant. Not ended here. */
  out: Writable;
  /** Parallel Scan segments (default {@link DEFAULT_SEGMENTS}). */
  segments?: number;
  /** Only rows at or after this instant (`linkedAt` for links, `at` for audit events). */
  since?: Date;
  /** Replaces every LINE user ID (see `createPseudonymizer`). */
  pseudonymize?: (lineUserId: string) => string;
  /** CSV only: start with a UTF-8 byte order mark (Excel). */
  bom?: boolean;
  /**
   * CSV: write fields that start with `=`, `+`, `-`, `@`, tab or CR as text for spreadsheets
   * (a `'` in front; see `csvRecord`). Default true; JSONL is always exact.
   */
  neutralizeFormulas?: boolean;
  /** Called after each page with the running row count. */
  onProgress?: (rows: number) => void;
  /** Aborts the scan (in-flight requests included). */
  signal?: AbortSignal;
  /** Items per Scan page (DynamoDB's `Limit`); default: as many as fit in 1 MB. */
  pageLimit?: number;
}

/**
 * About how many rows an export of `kind` writes, for a progress bar: DynamoDB's item count
 * (updated about every six hours), halved for the links (each is stored twice); 0 when the table
 * cannot be described (the Scan then reports the real error).
 */
export async function estimateExportRows(
  client: DynamoDBClient,
  tableName: string,
  kind: ExportKind,
): Promise<number> {
  try {
    const count =
      (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.ItemCount ?? 0;
    return kind === 'links' ? Math.ceil(count / 2) : count;
  } catch {
    return 0;
  }
}

/**
 * Streams a table out with a parallel Scan: `segments` loops each read their share of the table
 * page by page (1 MB pages), turn a page into one chunk of CSV or JSONL text and write it,
 * waiting for `drain` whenever the destination is full. At most one page per segment is in
 * memory, whatever the table size.
 *
 * Links are stored twice (`LINE#` and `COMPANY#` items); only the `LINE#` items are exported,
 * so there is one row per link. The filters run in DynamoDB (they still consume read capacity
 * for the whole table: for production tables prefer the S3 export, see docs/export.md).
 *
 * @returns the number of rows written.
 */
export async function exportTableByScan(options: ScanExportOptions): Promise<{ rows: number }> {
  const segments = options.segments ?? DEFAULT_SEGMENTS;
  if (!Number.isInteger(segments) || segments < 1 || segments > MAX_SEGMENTS) {
    throw new RangeError(`segments must be an integer from 1 to ${MAX_SEGMENTS}.`);
  }
  const columns: readonly string[] = EXPORT_COLUMNS[options.kind];
  const toText = rowWriter(options.kind, options.format, options.pseudonymize, {
    neutralizeFormulas: options.neutralizeFormulas ?? true,
  });
  const input = scanInput(options);

  // The header goes out with the first rows (or at the end), so a scan that fails at once
  // leaves nothing half-written on standard output.
  let header = options.format === 'csv' ? `${options.bom ? UTF8_BOM : ''}${csvRecord(columns)}` : '';

  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  let rows = 0;
  let firstError: unknown;
  // A destination that fails (disk full, closed pipe) stops the scan instead of crashing the process.
  const onOutputError = (error: unknown) => {
    firstError ??= error;
    controller.abort(error);
  };
  options.out.on('error', onOutputError);
  const segment = async (index: number): Promise<void> => {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      if (controller.signal.aborted) return;
      const page = await options.client.send(
        new ScanCommand({ ...input, Segment: index, TotalSegments: segments, ExclusiveStartKey: startKey }),
        { abortSignal: controller.signal },
      );
      const items = page.Items ?? [];
      let chunk = '';
      let count = 0;
      for (const item of items) {
        const line = toText(item);
        if (line !== undefined) {
          chunk += line;
          count++;
        }
      }
      if (count > 0) {
        const text = header + chunk;
        header = ''; // before the await: another segment may write while this one waits for drain
        await write(options.out, text);
        rows += count;
        options.onProgress?.(rows);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  };

  try {
    await Promise.all(
      Array.from({ length: segments }, (_, i) =>
        segment(i).catch((error: unknown) => {
          // One failed segment stops the others instead of letting them read on for nothing;
          // the first failure is the one reported (the others are only its abort).
          firstError ??= error;
          controller.abort(error);
        }),
      ),
    );
    if (firstError !== undefined) throw firstError;
    if (options.signal?.aborted) throw options.signal.reason ?? new Error('Export aborted.');
    if (header) await write(options.out, header);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    options.out.off('error', onOutputError);
  }
  return { rows };
}

function scanInput(options: ScanExportOptions): Omit<ScanCommandInput, 'Segment' | 'TotalSegments'> {
  const columns: readonly string[] = EXPORT_COLUMNS[options.kind];
  const names: Record<string, string> = {};
  columns.forEach((column, i) => (names[`#c${i}`] = column));
  const filters: string[] = [];
  const values: Record<string, AttributeValue> = {};
  if (options.kind === 'links') {
    names['#pk'] = 'pk';
    values[':line'] = { S: 'LINE#' };
    filters.push('begins_with(#pk, :line)');
  }
  if (options.since) {
    names['#since'] = TIME_ATTRIBUTE[options.kind];
    values[':since'] = { S: options.since.toISOString() };
    // Stored times are all `toISOString()` (UTC, fixed width), so string order is time order.
    filters.push('#since >= :since');
  }
  return {
    TableName: options.tableName,
    ...(options.pageLimit ? { Limit: options.pageLimit } : {}),
    ProjectionExpression: Object.keys(names)
      .filter((n) => n.startsWith('#c'))
      .join(', '),
    ExpressionAttributeNames: names,
    ...(filters.length ? { FilterExpression: filters.join(' AND '), ExpressionAttributeValues: values } : {}),
  };
}

/** Turns one raw item into one line of output, or undefined when it is not a complete row. */
export function rowWriter(
  kind: ExportKind,
  format: ExportFormat,
  pseudonymize?: (lineUserId: string) => string,
  csv: CsvOptions = {},
): (item: Record<string, AttributeValue>) => string | undefined {
  const kinds = COLUMN_KINDS[kind];
  const columns = EXPORT_COLUMNS[kind];
  const required: readonly string[] = REQUIRED_COLUMNS[kind];
  return (item) => {
    for (const name of required) if (item[name]?.S === undefined) return undefined;
    const values: Array<string | undefined> = new Array(columns.length);
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i]!;
      let value = textOf(item[column], kinds[column]!);
      if (value !== undefined && column === 'lineUserId' && pseudonymize) value = pseudonymize(value);
      values[i] = value;
    }
    if (format === 'csv') return csvRecord(values, csv);
    const row: Record<string, string | number | boolean | null> = {};
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i]!;
      const value = values[i];
      const type = kinds[column];
      // A boolean never learned is null (links' `friend`); other absent values are left out.
      if (type === 'BOOL') row[column] = value === undefined ? null : value === 'true';
      else if (value !== undefined) row[column] = type === 'N' ? Number(value) : value;
    }
    return `${JSON.stringify(row)}\n`;
  };
}

/**
 * A stored value as text: a string as it is, a number as DynamoDB gives it, a boolean as
 * `true` / `false`; undefined when the attribute is absent or of another type.
 */
function textOf(value: AttributeValue | undefined, kind: ColumnKind): string | undefined {
  if (kind === 'BOOL') return value?.BOOL === undefined ? undefined : String(value.BOOL);
  return kind === 'N' ? value?.N : value?.S;
}

/** Writes a chunk, waiting for `drain` when the stream's buffer is full (backpressure). */
async function write(out: Writable, chunk: string): Promise<void> {
  if (out.destroyed || out.writableEnded) throw new Error('The export destination was closed.');
  if (!out.write(chunk)) await once(out, 'drain');
}
