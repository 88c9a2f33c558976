import { Readable } from 'node:stream';
import { CsvError, parse, type Parser } from 'csv-parse';
import { ImportFileError } from '../../core/member-file.js';
import type { MemberFile, MemberFileRecord } from '../../core/ports/index.js';
import { applyColumnMap, guessDelimiter, type ColumnMap } from './column-map.js';

/** Options of {@link readMemberCsv}. */
export interface MemberCsvOptions {
  /** Field delimiter; default `,`. */
  delimiter?: string;
  /** Our column → the file's header name (`--columns memberId=会員番号`), applied to the header. */
  columns?: ColumnMap;
}

/** Records larger than this are a broken file (an unclosed quote swallowing the rest). */
const MAX_RECORD_BYTES = 64 * 1024;

/** Records handed to the import at once, at most (the parser's buffer is usually smaller). */
const MAX_CHUNK = 512;

/**
 * A member CSV (UTF-8 text, a BOM is fine, RFC 4180 quoting) read with csv-parse as a
 * {@link MemberFile}: streamed, never held in memory. The header gets `columns` applied; a
 * one-column header with another separator in it is refused with a hint ("is the file
 * semicolon-separated?"). csv-parse's errors become {@link ImportFileError}s that keep the line
 * and the kind of problem but never a field's value.
 *
 * @param source the file's text (a file stream, an S3 object's body).
 */
export function readMemberCsv(
  source: Readable | AsyncIterable<Uint8Array | string>,
  options: MemberCsvOptions = {},
): MemberFile {
  const input = source instanceof Readable ? source : Readable.from(source, { objectMode: false });
  // No `info` (an object per record) and no skip_empty_lines: line numbers are counted here,
  // which is cheaper, and reports the line where a record starts.
  const parser = parse({
    bom: true,
    relax_column_count: true,
    max_record_size: MAX_RECORD_BYTES,
    delimiter: options.delimiter ?? ',',
  });
  input.on('error', (error) => parser.destroy(error));
  // The parser's errors (its own, or the source's passed on above) are read from
  // `parser.errored` by `moreRecords`; this listener only keeps them from being "unhandled".
  parser.on('error', () => undefined);
  input.pipe(parser);

  async function* chunks(): AsyncGenerator<readonly MemberFileRecord[]> {
    let line = 0; // last line of the previous record
    let header = true;
    try {
      for (;;) {
        // Synchronous reads while records are buffered; wait only when the parser has none.
        let chunk: MemberFileRecord[] = [];
        let fields: string[] | null;
        while ((fields = parser.read() as string[] | null) !== null) {
          const start = line + 1;
          line = start + newlinesIn(fields);
          if (fields.length === 1 && fields[0]!.trim() === '') continue; // an empty line
          if (header) {
            fields = readHeaderFields(fields, options.columns);
            header = false;
          }
          chunk.push({ fields, line: start });
          if (chunk.length >= MAX_CHUNK) {
            yield chunk;
            chunk = [];
          }
        }
        if (chunk.length > 0) yield chunk;
        if (!(await moreRecords(parser))) return;
      }
    } catch (error) {
      throw error instanceof CsvError ? csvFileError(error) : error;
    } finally {
      // The import stopped early (an abort, a failure, a refused header): release the source.
      if (!parser.readableEnded) {
        parser.destroy();
        input.unpipe(parser);
        input.destroy();
      }
    }
  }

  const records = chunks();
  return {
    [Symbol.asyncIterator]: () => records,
    get bytesRead() {
      return parser.info.bytes;
    },
  };
}

/** The header with `columns` applied; a one-column header with another separator in it says so. */
function readHeaderFields(fields: string[], columns: ColumnMap | undefined): string[] {
  const guess = guessDelimiter(fields);
  if (guess) {
    throw new ImportFileError(
      `found one column; is the file ${guess.name}-separated? The import reads comma-separated files ` +
        `(npm run import takes --delimiter '${guess.char === '\t' ? '\\t' : guess.char}' for others)`,
      1,
    );
  }
  return columns ? applyColumnMap(fields, columns) : fields;
}

/** Waits until the parser has records again: true, or has ended: false; throws its error. */
function moreRecords(parser: Parser): Promise<boolean> {
  if (parser.errored) return Promise.reject(parser.errored);
  if (parser.readableEnded) return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    const settle = (outcome: () => void) => () => {
      parser.off('readable', onReadable).off('end', onEnd).off('error', onError).off('close', onEnd);
      outcome();
    };
    const onReadable = settle(() => resolve(true));
    const onEnd = settle(() => (parser.errored ? reject(parser.errored) : resolve(false)));
    const onError = (error: Error) => settle(() => reject(error))();
    parser.on('readable', onReadable).on('end', onEnd).on('error', onError).on('close', onEnd);
  });
}

/** Line breaks inside a record's (quoted) fields: the record spans that many more lines. */
function newlinesIn(record: readonly string[]): number {
  let count = 0;
  for (const field of record) {
    for (let i = field.indexOf('\n'); i !== -1; i = field.indexOf('\n', i + 1)) count++;
  }
  return count;
}

/** csv-parse errors name the line but may quote the field: keep the line and the kind only. */
function csvFileError(error: CsvError): ImportFileError {
  const line = typeof error.lines === 'number' ? error.lines : undefined;
  const kinds: Record<string, string> = {
    CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed',
    CSV_INVALID_CLOSING_QUOTE: 'a closing quote is followed by other characters',
    CSV_INVALID_OPENING_QUOTE: 'a quote appears inside an unquoted field',
    CSV_MAX_RECORD_SIZE: `a record exceeds ${MAX_RECORD_BYTES / 1024} KB (an unclosed quote?)`,
    CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'a closing quote is followed by other characters',
  };
  return new ImportFileError(`malformed CSV: ${kinds[error.code] ?? error.code}`, line);
}
