import middy from '@middy/core';
import type { Context, S3Event } from 'aws-lambda';
import { readMemberCsv } from '../adapters/csv/member-csv-file.js';
import { ImportAbortedError, importMembers } from '../core/use-cases/import-members.js';
import { ImportFileError } from '../core/member-file.js';
import type { FactorHasher, MemberImportStore, ObjectReader } from '../core/ports/index.js';
import type { MemberFactor } from '../core/member-factors.js';
import { invocationLogging, logger } from '../observability/logger.js';
import { tracing } from '../observability/tracing.js';

/** What the handler needs; tests pass their own object reader. */
export interface MembersImportDeps {
  objects: ObjectReader;
  store: MemberImportStore;
  hasher: FactorHasher;
  requiredFactors: readonly MemberFactor[];
  deleteMissing: boolean;
  concurrency: number;
}

/** Rejected rows logged one by one (line and reason only); the rest are only counted. */
const MAX_LOGGED_REJECTS = 100;
/** The import stops this long before the Lambda timeout, so it can log where it stopped. */
const STOP_BEFORE_TIMEOUT_MS = 20_000;

/**
 * Imports a member CSV put into the import bucket (S3 `ObjectCreated`), with the same code as
 * `npm run import`: streamed from S3 (never held in memory), validated, normalized, hashed with
 * the pepper, written differentially. Needs MEMBERS_TABLE, MEMBER_HASH_PEPPER(_ARN) and
 * MEMBER_FACTORS; MEMBERS_IMPORT_DELETE_MISSING=true makes every file the complete list.
 *
 * A bad file (missing column, broken CSV) is logged and not retried; a DynamoDB failure or a
 * run out of time throws, so Lambda's retry imports the file again — cheaply, since rows
 * already written are unchanged and skipped.
 */
export function createMembersImportS3Handler(d: MembersImportDeps) {
  return middy<S3Event, void>(importFiles(d)).use([tracing(), invocationLogging()]);
}

/** Imports each file of the event, one after another. */
function importFiles(d: MembersImportDeps) {
  return async (event: S3Event, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<void> => {
    for (const record of event.Records ?? []) {
      const bucket = record.s3.bucket.name;
      const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
      const controller = new AbortController();
      const remaining = context?.getRemainingTimeInMillis?.();
      const timer =
        remaining !== undefined
          ? setTimeout(() => controller.abort(), Math.max(0, remaining - STOP_BEFORE_TIMEOUT_MS))
          : undefined;
      let logged = 0;
      try {
        logger.info('member import started', { bucket, key, deleteMissing: d.deleteMissing });
        const file = readMemberCsv(await d.objects.read(bucket, key));
        const summary = await importMembers(file, {
          store: d.store,
          hasher: d.hasher,
          requiredFactors: d.requiredFactors,
          concurrency: d.concurrency,
          deleteMissing: d.deleteMissing,
          signal: controller.signal,
          onReject: (reject) => {
            if (logged++ < MAX_LOGGED_REJECTS)
              logger.warn('member import row rejected', { bucket, key, ...reject });
          },
        });
        logger.info('member import finished', { bucket, key, ...summary });
      } catch (error) {
        if (error instanceof ImportFileError) {
          logger.error('member import refused the file', { bucket, key, reason: error.message });
          continue; // retrying the same file cannot help
        }
        if (error instanceof ImportAbortedError) {
          logger.error('member import ran out of time; the retry continues it', {
            bucket,
            key,
            ...error.counts,
          });
        }
        throw error;
      } finally {
        clearTimeout(timer);
      }
    }
  };
}
