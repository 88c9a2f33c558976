import { createMembersImportS3Handler } from '../../handlers/members-import-s3.js';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectReader } from '../../adapters/s3/s3-object-reader.js';
import { traceAwsClient } from '../../observability/tracing.js';
import { factorHasher, memberRepository } from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `members-import-s3` function's handler, built from a wiring (functions/handlers/members-import-s3.ts). */
export const membersImportS3 = (w: Wiring) =>
  createMembersImportS3Handler({
    objects: new S3ObjectReader(traceAwsClient(new S3Client({}))),
    store: memberRepository(w),
    hasher: factorHasher(w),
    requiredFactors: w.config.memberFactors,
    ...w.config.memberImport,
  });
