import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { ImportFileError } from '../core/member-file.js';

/** Encodings `--encoding` accepts besides UTF-8 (what Japanese spreadsheets and POS systems export). */
export const LEGACY_ENCODINGS = [
  'shift_jis',
  'cp932',
  'windows-31j',
  'euc-jp',
  'utf-16le',
  'latin1',
] as const;

/** The canonical name of `--encoding`, or an {@link ImportFileError} naming the choices. */
export function parseEncoding(name: string): string {
  const key = name.trim().toLowerCase().replace(/_/g, '-');
  if (key === 'utf-8' || key === 'utf8') return 'utf-8';
  // Shift_JIS as Excel and Windows write it is really CP932 (Microsoft's extension: ①, ㈱, NEC
  // special characters); decoding plain Shift_JIS as CP932 loses nothing.
  if (['shift-jis', 'sjis', 'cp932', 'windows-31j', 'ms932'].includes(key)) return 'cp932';
  if (iconv.encodingExists(key)) return key;
  throw new ImportFileError(
    `unknown encoding "${name}": use utf-8 (the default), ${LEGACY_ENCODINGS.join(', ')}`,
  );
}

/**
 * Why a file cannot be read, in words an operator can act on (Node's codes: ENOENT, EACCES…).
 * Opens the file once, so a later stream sees the same problem only in a race.
 */
export async function checkReadable(path: string, shownAs: string): Promise<void> {
  try {
    const handle = await open(path, 'r');
    try {
      if ((await handle.stat()).isDirectory()) throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new ImportFileError(describeReadError(error, shownAs, path));
  }
}

/** A sentence for a file-system error code. */
export function describeReadError(error: unknown, shownAs: string, absolute: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return `cannot read ${shownAs}: there is no such file (looked for ${absolute})`;
    case 'EACCES':
    case 'EPERM':
      return `cannot read ${shownAs}: permission denied (check the file's permissions, e.g. ls -l ${absolute})`;
    case 'EISDIR':
      return `cannot read ${shownAs}: it is a folder, not a file`;
    default:
      return `cannot read ${shownAs}: ${code ?? (error instanceof Error ? error.message : String(error))}`;
  }
}

/**
 * The CSV file as UTF-8 for the parser. UTF-8 is checked strictly as it streams, so a Shift_JIS
 * file is not imported as mojibake: it stops with a hint to pass `--encoding`. Other encodings
 * are decoded with iconv-lite. Lazy: nothing is read before the importer consumes the stream
 * (and listens for its errors).
 */
export function openCsvText(path: string, encoding: string): Readable {
  return Readable.from(encoding === 'utf-8' ? strictUtf8(path) : decoded(path, encoding), {
    objectMode: false,
  });
}

async function* decoded(path: string, encoding: string): AsyncGenerator<string> {
  const decoder = iconv.getDecoder(encoding);
  for await (const chunk of createReadStream(path)) {
    const text = decoder.write(chunk as Buffer);
    if (text) yield text;
  }
  const rest = decoder.end();
  if (rest) yield rest;
}

/** The file's bytes unchanged; fails at the first byte sequence that is not UTF-8. */
async function* strictUtf8(path: string): AsyncGenerator<Buffer> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    try {
      decoder.decode(chunk, { stream: true });
    } catch {
      throw notUtf8Error(chunk, line);
    }
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) line++;
    yield chunk;
  }
  try {
    decoder.decode();
  } catch {
    throw new ImportFileError(NOT_UTF8, line);
  }
}

/** The error for a chunk with a sequence that is not UTF-8, naming the line it is on. */
function notUtf8Error(chunk: Buffer, firstLine: number): ImportFileError {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let good = 0;
  for (let size = 1; size <= chunk.length; size++) {
    try {
      decoder.decode(chunk.subarray(0, size), { stream: true });
      good = size;
    } catch {
      break;
    }
  }
  let line = firstLine;
  for (let i = chunk.indexOf(10); i !== -1 && i < good; i = chunk.indexOf(10, i + 1)) line++;
  return new ImportFileError(NOT_UTF8, line);
}

const NOT_UTF8 =
  'the file is not UTF-8. Files exported by Excel or a POS system in Japan are usually Shift_JIS: ' +
  'run again with --encoding shift_jis (or cp932), or save the file as "CSV UTF-8"';
