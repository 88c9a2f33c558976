import { Logger } from '@aws-lambda-powertools/logger';
import { loadObservability } from '../config.js';

/**
 * The service's structured JSON logger (Powertools), one per execution environment. Nothing
 * that reaches it may contain a token, a code, a secret or a factor value: log codes and IDs.
 * `POWERTOOLS_LOG_LEVEL` sets the level (tests use SILENT).
 */
export const logger = new Logger({ serviceName: loadObservability().serviceName });
