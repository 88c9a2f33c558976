import type { FactorValues, MemberFactor } from '../member-factors.js';

/**
 * Ports of member verification (patterns 2 and 3): keyed hashing of factors, the imported
 * member records and the attempt counters that protect both against guessing; and the
 * admin operations on a member's data (erasure, unlock).
 */

/** Keyed hashes of factor values, by factor (opaque strings). */
export type FactorHashes = Partial<Record<MemberFactor, string>>;

/**
 * Turns normalized factor values into keyed hashes (HMAC with a secret pepper). Each hash is
 * bound to the member ID and the factor name, so equal birth dates of two members never share
 * a hash and a stolen table cannot be matched against itself or brute-forced without the pepper.
 */
export interface FactorHasher {
  hashFactors(memberId: string, factors: FactorValues): Promise<FactorHashes>;
}

/** An imported member record: only keyed hashes of its factors, never the values. */
export interface MemberRecord {
  memberId: string;
  /** The company user ID a link is made with (defaults to the member ID at import). */
  companyUserId: string;
  factorHashes: FactorHashes;
}

/** The imported member records (pattern 3). */
export interface MemberRecordRepository {
  findByMemberId(memberId: string): Promise<MemberRecord | undefined>;
}

/**
 * The scopes attempts are counted and locked in: the member number, the LINE user and the
 * client address (API Gateway's `requestContext.http.sourceIp`). The service-wide count is not
 * a scope: it never locks (see {@link GlobalFailures}).
 */
export type AttemptScope = 'member' | 'line-user' | 'address';

export const ATTEMPT_SCOPES: readonly AttemptScope[] = ['member', 'line-user', 'address'];

/** Who is attempting what, from where. */
export interface AttemptKeys {
  memberId: string;
  lineUserId: string;
  /** The client address as API Gateway saw it (IPv4 or IPv6 text). */
  sourceIp: string;
}

/**
 * Failures counted service-wide in the current window (an estimate from one shard of the
 * sharded counter). Over the threshold the service slows failed answers down and alerts; it
 * never refuses anyone, so a few accounts cannot lock every member out.
 */
export interface GlobalFailures {
  /** Estimated failures in all, this one included. */
  failures: number;
  /** The estimate is over `ATTEMPTS_GLOBAL`. */
  overThreshold: boolean;
}

/** Where one scope's counter stood right after this attempt was counted. */
export interface ScopeCount {
  /** This attempt's number within the scope's current window (1 = first). */
  count: number;
  /** End of the window (or of the lock), epoch seconds. */
  windowEnds: number;
  /** How many lockouts this scope has had recently (drives the growing back-off). */
  level: number;
}

/** An attempt counted by {@link AttemptLimiter.reserve}. */
export interface AttemptReservation {
  keys: AttemptKeys;
  /** False when a scope is over its limit: the attempt must not be evaluated at all. */
  allowed: boolean;
  /** When not allowed: seconds until every blocking scope opens again. */
  retryAfterSeconds: number;
  scopes: Record<AttemptScope, ScopeCount>;
  /**
   * The limiter's own name for this attempt (the DynamoDB limiter files the attempt's number
   * under it, so a write repeated after a lost answer counts it once); opaque to the core.
   */
  id?: string;
}

/** What {@link AttemptLimiter.fail} did. */
export interface FailureOutcome {
  /** Scopes this failure used up (each now locked, for a longer time after every lockout). */
  lockedScopes: AttemptScope[];
  /** When a scope is now locked: seconds until the attempt may be repeated. */
  retryAfterSeconds?: number;
  /** The service-wide failure count, with this failure. */
  global: GlobalFailures;
}

/**
 * Counts verification attempts atomically, per member, per LINE user and per client address,
 * in windows with a growing lock, and failures service-wide (never a lock). Every attempt is
 * counted *before* it is evaluated, so parallel guesses cannot all slip in before the first
 * failure is recorded.
 */
export interface AttemptLimiter {
  /** Counts the attempt in every scope. */
  reserve(keys: AttemptKeys): Promise<AttemptReservation>;
  /** The attempt failed: a scope that reached its limit becomes locked (with back-off); counted service-wide. */
  fail(reservation: AttemptReservation): Promise<FailureOutcome>;
  /** The attempt verified: the member's counter is reset, the other scopes get it back. */
  succeed(reservation: AttemptReservation): Promise<void>;
  /** The attempt could not be evaluated (upstream down): every scope gets it back. */
  release(reservation: AttemptReservation): Promise<void>;
}

/** The outcome of one attempt, for the service's log (never a factor value). */
export interface AttemptEvent {
  method: 'record' | 'api';
  outcome: 'verified' | 'failed' | 'locked' | 'refused' | 'unavailable';
  lineUserId: string;
  memberId: string;
  /** Attempt numbers in each scope's window. */
  counts?: Record<AttemptScope, number>;
  lockedScopes?: AttemptScope[];
  retryAfterSeconds?: number;
  /** Failures service-wide in the window (estimate), on failures. */
  globalFailures?: number;
  /** The service-wide failures are over `ATTEMPTS_GLOBAL`: failed answers are slowed down (alert on it). */
  globalThresholdExceeded?: boolean;
}

/** Receives every attempt's outcome (the handlers log it). */
export type AttemptObserver = (event: AttemptEvent) => void;

/** Clears a member's guessing-protection counters (the admin unlock). */
export interface AttemptUnlocker {
  /** @returns how many counters were removed. */
  unlock(keys: { memberId?: string; lineUserId?: string }): Promise<number>;
}

/** What an erasure removed or rewrote, per table (counts only). */
export type ErasureReport = Record<string, { deleted: number; pseudonymized: number }>;

/**
 * Removes every personal value of one member from the service's storage: the member number and
 * every LINE user ID the member was linked with (the current one and earlier ones), wherever they
 * are: the link (both sides), the imported member record, attempt counters, login sessions,
 * friendships, pending account-link nonces; audit events and message job reports keep their
 * entries with the identifiers replaced by keyed pseudonyms.
 */
export interface PersonalDataEraser {
  erase(ids: { companyUserId: string; lineUserId?: string; at: string }): Promise<ErasureReport>;
}

// ------------------------------------------------------------------ member import (pattern 3)

/** A member record as the import writes it. */
export interface ImportedMember extends MemberRecord {
  /** Hash of the record's content (company user ID and factor hashes): unchanged rows are skipped. */
  contentHash: string;
}

/**
 * What the import needs from the members table (DynamoMemberRepository implements it). The batch
 * methods take any number of members: how many one request of the storage holds is the store's
 * business. A call keeps one request in flight at a time, so the import's `concurrency` bounds
 * the storage's load by counting calls.
 */
export interface MemberImportStore {
  /** The stored content hashes of these members (absent: not stored). */
  contentHashes(memberIds: readonly string[]): Promise<Map<string, string>>;
  /** Writes these records, stamped with `importedAt`. */
  putMembers(members: readonly ImportedMember[], importedAt: string): Promise<void>;
  deleteMembers(memberIds: readonly string[]): Promise<void>;
  /** The stored member IDs, page by page, of one segment of a parallel scan. */
  scanMemberIds(segment: number, totalSegments: number): AsyncIterable<string[]>;
  hasMembers(): Promise<boolean>;
}

/** One record of a member file, as its reader parsed it. */
export interface MemberFileRecord {
  /** The record's fields, in file order. */
  fields: readonly string[];
  /** Line of the file (1 = first) where the record starts. */
  line: number;
}

/**
 * A member file being read (functions/adapters/csv/member-csv-file.ts reads CSV): its records in
 * file order, the header first, empty lines left out, in chunks of whatever was parsed at once.
 * Reading stops when the import stops iterating (`return()` releases the source); a file that
 * cannot be read fails the iteration with `ImportFileError`.
 */
export interface MemberFile extends AsyncIterable<readonly MemberFileRecord[]> {
  /** Bytes of the file consumed so far (progress). */
  readonly bytesRead: number;
}

/** Stored objects read as byte streams: where the S3-triggered import reads an uploaded member file. */
export interface ObjectReader {
  /** The object's bytes, streamed; @throws when the object cannot be read. */
  read(bucket: string, key: string): Promise<AsyncIterable<Uint8Array>>;
}
