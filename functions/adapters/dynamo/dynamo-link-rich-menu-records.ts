import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LinkRichMenuRecords, RichMenuLinkState } from '../../core/ports/index.js';
import { lineKey } from './dynamo-link-repository.js';

/** Updates in flight while recording a bulk request's links. */
const RECORD_CONCURRENCY = 16;

/**
 * The rich menu each link was brought to, as `richMenuId` on the link's `LINE#…` item: it goes
 * with the link when the link is removed, and a new link starts without one. Writing it changes
 * neither the link's existence nor its reachability, so the links table's stream functions
 * ignore the change (functions/core/link-events.ts publishes only those).
 */
export class DynamoLinkRichMenuRecords implements LinkRichMenuRecords {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async count(): Promise<number> {
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({ ...this.lineSides(), Select: 'COUNT', ExclusiveStartKey: start }),
      );
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    return count;
  }

  async *scan(): AsyncIterable<readonly RichMenuLinkState[]> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          ...this.lineSides(),
          ProjectionExpression: 'lineUserId, companyUserId, richMenuId',
          ExclusiveStartKey: start,
        }),
      );
      start = page.LastEvaluatedKey;
      const links: RichMenuLinkState[] = [];
      for (const item of page.Items ?? []) {
        if (typeof item.lineUserId !== 'string' || typeof item.companyUserId !== 'string') continue;
        links.push({
          lineUserId: item.lineUserId,
          companyUserId: item.companyUserId,
          ...(typeof item.richMenuId === 'string' ? { richMenuId: item.richMenuId } : {}),
        });
      }
      if (links.length > 0) yield links;
    } while (start);
  }

  async record(links: readonly RichMenuLinkState[], richMenuId: string): Promise<void> {
    for (let i = 0; i < links.length; i += RECORD_CONCURRENCY) {
      await Promise.all(
        links.slice(i, i + RECORD_CONCURRENCY).map((link) => this.recordOne(link, richMenuId)),
      );
    }
  }

  private async recordOne(link: RichMenuLinkState, richMenuId: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: lineKey(link.lineUserId) },
          UpdateExpression: 'SET richMenuId = :menu',
          // Only the very link that was switched: a link removed, or replaced by another
          // company user's, in between is not given a record it did not earn.
          ConditionExpression: 'attribute_exists(pk) AND companyUserId = :company',
          ExpressionAttributeValues: { ':menu': richMenuId, ':company': link.companyUserId },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw error;
    }
  }

  private lineSides() {
    return {
      TableName: this.tableName,
      FilterExpression: 'begins_with(pk, :line)',
      ExpressionAttributeValues: { ':line': 'LINE#' },
    };
  }
}
