/** One extract shard: sequences [start, end) of the dataset, in order. */
export interface ShardRange {
  readonly index: number;
  readonly start: number;
  readonly end: number;
}

/**
 * The dataset split into consecutive shards of `shardSize` sequences (the last may be shorter); one
 * shard of everything when no size is given. Shards are the unit of extraction and of Slurm array tasks.
 */
export function shardRanges(count: number, shardSize?: number): ShardRange[] {
  if (!Number.isInteger(count) || count < 0) throw new Error(`sequence count must be a non-negative integer, got ${count}`);
  const size = shardSize ?? Math.max(count, 1);
  if (!Number.isInteger(size) || size <= 0) throw new Error(`shardSize must be a positive integer, got ${shardSize}`);
  const out: ShardRange[] = [];
  for (let start = 0, index = 0; start < count; start += size, index++) out.push({ index, start, end: Math.min(count, start + size) });
  return out;
}
