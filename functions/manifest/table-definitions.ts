/**
 * The service's DynamoDB tables as plain data, shared by the CDK stateful stack, the local dev
 * server and the integration tests, so the three can never drift apart. Every table has a
 * string partition key `pk`; some add a sort key `sk` and a TTL attribute (epoch seconds).
 */
export interface TableDefinition {
  /** Environment variable that carries the table name to the functions. */
  envVar: string;
  /** Name used locally when the variable is unset. */
  defaultName: string;
  sortKey?: 'sk';
  /** TTL attribute (epoch seconds) if items expire by themselves. */
  ttlAttribute?: string;
  /** A change stream (old and new images), for the link events. */
  stream?: 'new-and-old-images';
  /** Global secondary indexes: name → partition (and optional sort) key attributes. */
  indexes?: ReadonlyArray<{ name: string; partitionKey: string; sortKey?: string }>;
}

export const TABLES = {
  /** Links, stored twice: `LINE#<id>` and `COMPANY#<id>`, written in one transaction. */
  links: { envVar: 'LINKS_TABLE', defaultName: 'line-id-link-links', stream: 'new-and-old-images' },
  /** Web-login sessions (state, nonce, PKCE verifier), consumed once, expiring after 10 minutes. */
  sessions: { envVar: 'SESSIONS_TABLE', defaultName: 'line-id-link-sessions', ttlAttribute: 'expiresAt' },
  /** Imported member records (pattern 3): keyed hashes of the verification factors only. */
  members: { envVar: 'MEMBERS_TABLE', defaultName: 'line-id-link-members' },
  /** Failure counters against guessing (patterns 2 and 3). */
  attempts: { envVar: 'ATTEMPTS_TABLE', defaultName: 'line-id-link-attempts', ttlAttribute: 'expiresAt' },
  /**
   * Audit trail of link events, per LINE user, in time order. TTL is on, but an event carries
   * `expiresAt` only when AUDIT_RETENTION_DAYS is set: by default events are kept.
   */
  audit: {
    envVar: 'AUDIT_TABLE',
    defaultName: 'line-id-link-audit',
    sortKey: 'sk',
    ttlAttribute: 'expiresAt',
  },
  /**
   * Messaging API state: processed webhook event IDs (`EVENT#…`) and account-link nonces
   * (`NONCE#…`), both expiring, and the newest known friendship of each LINE user (`FRIEND#…`).
   */
  messaging: {
    envVar: 'MESSAGING_TABLE',
    defaultName: 'line-id-link-messaging',
    ttlAttribute: 'expiresAt',
  },
  /** Message jobs (large sends): one META item and one item per batch of ≤ 500 recipients, expiring. */
  jobs: {
    envVar: 'MESSAGE_JOBS_TABLE',
    defaultName: 'line-id-link-message-jobs',
    sortKey: 'sk',
    ttlAttribute: 'expiresAt',
  },
} as const satisfies Record<string, TableDefinition>;

export type TableKey = keyof typeof TABLES;
