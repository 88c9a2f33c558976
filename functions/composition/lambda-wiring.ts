import { configureLogger } from '../observability/logger.js';
import { configureMetrics, configureTracing } from '../observability/settings.js';
import { createWiring, type Wiring } from './wiring.js';

let wiring: Wiring | undefined;

/**
 * The Lambda composition root's wiring, made once per execution environment from the function's
 * environment (`process.env`, what its template gives it): logs and metrics named after the
 * service, X-Ray tracing unless TRACING_ENABLED=false, and queued work to the SQS queues whose
 * URLs the stack sets. Each entry in functions/lambda/ builds its handler from it at module scope,
 * so a configuration error fails the cold start, naming the variable.
 */
export function lambdaWiring(): Wiring {
  if (!wiring) {
    const made = createWiring(process.env, 'sqs');
    const observability = made.config.observability;
    configureLogger(observability);
    configureMetrics(observability);
    configureTracing(made.config.tracing);
    wiring = made;
  }
  return wiring;
}
