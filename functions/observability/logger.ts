import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';

/** What the composition root tells the logger (functions/config.ts `ObservabilityConfig`). */
export interface LoggerSettings {
  serviceName: string;
  /** Powertools' level name; unset: Powertools' own default. */
  logLevel?: string;
}

/**
 * The service's structured JSON logger (Powertools), one per execution environment. Nothing
 * that reaches it may contain a token, a code, a secret or a factor value: log codes and IDs.
 *
 * A composition root names the service and the level with {@link configureLogger} before it
 * builds its handlers (modules read this binding when they log, so they all see the configured
 * one). Until then it has Powertools' defaults, which read only Powertools' own `POWERTOOLS_*`
 * variables: what tests that build a handler without a root get (quiet, as test-env.ts sets it).
 */
// A live binding, reassigned by configureLogger: every importer logs through the current logger.
export let logger = new Logger();

/** Replaces the logger with one for `settings` (a Lambda cold start, a local server's start). */
export function configureLogger(settings: LoggerSettings): void {
  logger = new Logger({
    serviceName: settings.serviceName,
    ...(settings.logLevel ? { logLevel: settings.logLevel as LogLevel } : {}),
  });
}
