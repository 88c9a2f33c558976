import { readConfig, type Config, type Env } from '../config.js';

/**
 * What a composition root hands the builders of functions/composition/: the parsed settings, the
 * environment its secrets are read from, and where queued work goes. The Lambda root makes one per execution
 * environment from `process.env`; the local root one per local server from the map it is given.
 * Every builder makes its adapter once per wiring ({@link perWiring}), so a DynamoDB client, a
 * JWKS cache or a channel access token is shared by everything one root builds.
 */
export interface Wiring {
  readonly config: Config;
  /**
   * The environment as given, for the secret reader alone (adapters.ts `secretReader`): secrets
   * are not settings, and are read when first used, from the variable or Secrets Manager.
   */
  readonly env: Env;
  /**
   * `sqs`: queued work (webhook replies, message batches) goes to the SQS queue whose URL the
   * settings give, and runs in this process when none is given (Lambda); `in-process`: it always
   * runs in this process, after the answer (the local server, whose queue tests can wait for).
   */
  readonly queues: 'sqs' | 'in-process';
}

/** A wiring for `env`: its settings are parsed as the builders first ask for them. */
export function createWiring(env: Env, queues: Wiring['queues']): Wiring {
  return { config: readConfig(env), env, queues };
}

/**
 * A builder that makes its value once per wiring. Declared at the top level of its module, each
 * builder is a separate function a bundler keeps only when a handler's builder calls it, so a
 * function's bundle holds only the adapters its handler uses.
 */
export function perWiring<T>(build: (wiring: Wiring) => T): (wiring: Wiring) => T {
  const made = new WeakMap<Wiring, { value: T }>();
  return (wiring) => {
    let entry = made.get(wiring);
    if (!entry) {
      entry = { value: build(wiring) };
      made.set(wiring, entry);
    }
    return entry.value;
  };
}
