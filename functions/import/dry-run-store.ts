import type { MemberImportStore } from '../core/ports/index.js';

/**
 * A members table that is read but never written: `--dry-run` runs the whole import (parsing,
 * validation, the differential comparison, the scan for members missing from the file) and
 * only collects what it would have written and deleted.
 */
export class DryRunStore implements MemberImportStore {
  /** Member IDs that would be deleted, in scan order. */
  readonly wouldDelete: string[] = [];
  wouldWrite = 0;

  constructor(private readonly store: MemberImportStore) {}

  contentHashes(memberIds: readonly string[]): Promise<Map<string, string>> {
    return this.store.contentHashes(memberIds);
  }

  async putMembers(members: readonly unknown[]): Promise<void> {
    this.wouldWrite += members.length;
  }

  async deleteMembers(memberIds: readonly string[]): Promise<void> {
    this.wouldDelete.push(...memberIds);
  }

  scanMemberIds(segment: number, totalSegments: number): AsyncIterable<string[]> {
    return this.store.scanMemberIds(segment, totalSegments);
  }

  hasMembers(): Promise<boolean> {
    return this.store.hasMembers();
  }
}
