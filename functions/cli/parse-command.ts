import { CommanderError, type Command } from 'commander';
import type { CliIo } from '../export/cli.js';

/**
 * Parses a command line with `command` (built with `.exitOverride()` and silent output), the way
 * the admin API's command lines answer: `--help` (or nothing at all) prints the help, exit 0; a
 * usage error prints commander's message and the help, exit 2.
 *
 * @returns the exit code when the command should stop here, undefined when it should run.
 */
export function parseCommand(command: Command, argv: string[], io: CliIo): number | undefined {
  try {
    command.parse(argv, { from: 'user' });
    return undefined;
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') {
      io.stdout.write(command.helpInformation());
      return 0;
    }
    io.stderr.write(`${error.message}\n${command.helpInformation()}`);
    return 2;
  }
}

/**
 * Why `key` cannot be an `Idempotency-Key` (the API takes 1 to 255 printable ASCII characters),
 * or undefined when it can.
 */
export function idempotencyKeyProblem(key: string): string | undefined {
  return /^[\x20-\x7e]{1,255}$/.test(key)
    ? undefined
    : '--idempotency-key: use 1 to 255 printable ASCII characters.';
}
