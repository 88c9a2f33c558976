/**
 * A string or number attribute of an item, read the same whether the item is plain (what the
 * document client returns) or raw AttributeValues (what a ConditionalCheckFailedException or a
 * transaction's cancellation reason carries: the document client does not unmarshall those).
 */
export function readAttribute(item: Record<string, unknown>, name: string): string | undefined {
  const value = item[name];
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (value && typeof value === 'object') {
    if ('S' in value && typeof value.S === 'string') return value.S;
    if ('N' in value && typeof value.N === 'string') return value.N;
  }
  return undefined;
}
