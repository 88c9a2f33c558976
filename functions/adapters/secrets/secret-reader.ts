import { cachedPromise } from '../cached-promise.js';

/** The environment a secret is read from: the variable itself, or its `_ARN`. */
type Env = Readonly<Record<string, string | undefined>>;

/** A secret that is not given, or whose Secrets Manager value is unusable; the message names the variable. */
export class MissingSecretError extends Error {
  override name = 'MissingSecretError';
}

/**
 * Reads secrets: the variable `name` itself when set (local runs), otherwise the Secrets
 * Manager secret whose ARN is in `${name}_ARN` (Lambda), cached by Powertools for the life of
 * the execution environment (refreshed every 5 minutes so rotation takes effect).
 */
export class SecretReader {
  private readonly cache = new Map<string, () => Promise<string>>();

  constructor(private readonly env: Env) {}

  /** The secret's value, read at each call (Powertools caches the Secrets Manager value). */
  read(name: string): Promise<string> {
    return readSecret(name, this.env);
  }

  /**
   * The secret read once per execution environment (and per reader); a failed read is retried
   * by the next caller.
   */
  cached(name: string): () => Promise<string> {
    let reader = this.cache.get(name);
    if (!reader) {
      reader = cachedPromise(() => this.read(name));
      this.cache.set(name, reader);
    }
    return reader;
  }
}

/**
 * Reads secret `name` from `env` (see {@link SecretReader}).
 * @throws MissingSecretError naming the variable when neither `name` nor `name_ARN` is set, or
 *   when the Secrets Manager secret holds no string.
 */
export async function readSecret(name: string, env: Env): Promise<string> {
  const direct = env[name];
  if (direct) return direct;
  const arn = env[`${name}_ARN`];
  if (!arn) throw new MissingSecretError(`Missing required environment variable ${name} (or ${name}_ARN).`);
  // Loaded lazily: local runs and handlers that need no secret never pay for the SDK.
  const { getSecret } = await import('@aws-lambda-powertools/parameters/secrets');
  const value = await getSecret(arn, { maxAge: 300 });
  if (typeof value !== 'string' || !value)
    throw new MissingSecretError(`Secret ${name}_ARN has no string value.`);
  return value;
}
