import { createLinksByRecordPostHandler } from '../../handlers/links-by-record-post.js';
import { factorHasher, guardedMemberLinkPorts, memberRepository } from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `links-by-record-post` function's handler, built from a wiring (functions/handlers/links-by-record-post.ts). */
export const linksByRecordPost = (w: Wiring) =>
  createLinksByRecordPostHandler(
    w.config.patterns.memberRecords
      ? { ...guardedMemberLinkPorts(w), members: memberRepository(w), hasher: factorHasher(w) }
      : undefined,
  );
