/**
 * The messages of one account waiting for a slot, in the order they get one: every `high`
 * message before any `normal`, every `normal` before any `low`; within a priority, the owners
 * (nodes) with messages waiting take turns, one message each (round robin), so a node with one
 * message waits behind at most one message of each other node, not behind their backlogs; each
 * owner's own messages keep their order.
 */
export const PRIORITIES = ['high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

export class FairQueue<T> {
  /** Per priority, most urgent first: the owners with items, in turn order (a Map keeps insertion order). */
  private readonly levels: Map<object, T[]>[] = PRIORITIES.map(() => new Map());
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The priority of the item `shift()` would return. */
  get urgency(): Priority | undefined {
    const index = this.levels.findIndex((level) => level.size > 0);
    return index < 0 ? undefined : PRIORITIES[index];
  }

  push(owner: object, priority: Priority, item: T): void {
    this.itemsOf(owner, priority).push(item);
    this.count += 1;
  }

  /** Puts `item` before the owner's other items (a retry keeps its place in the node's order). */
  unshift(owner: object, priority: Priority, item: T): void {
    this.itemsOf(owner, priority).unshift(item);
    this.count += 1;
  }

  /** Takes the next item: most urgent priority, the owner whose turn it is; that owner then goes last. */
  shift(): T | undefined {
    for (const level of this.levels) {
      const next = level.entries().next();
      if (next.done) continue;
      const [owner, items] = next.value;
      const item = items.shift() as T;
      level.delete(owner);
      if (items.length > 0) level.set(owner, items);
      this.count -= 1;
      return item;
    }
    return undefined;
  }

  /** Takes `item` out wherever it is; false when it is not here. */
  remove(owner: object, priority: Priority, item: T): boolean {
    const level = this.levels[PRIORITIES.indexOf(priority)];
    const items = level.get(owner);
    const index = items ? items.indexOf(item) : -1;
    if (!items || index < 0) return false;
    items.splice(index, 1);
    if (items.length === 0) level.delete(owner);
    this.count -= 1;
    return true;
  }

  /** Takes out every item of `owner`, in its order. */
  removeOwner(owner: object): T[] {
    const removed: T[] = [];
    for (const level of this.levels) {
      const items = level.get(owner);
      if (!items) continue;
      level.delete(owner);
      removed.push(...items);
    }
    this.count -= removed.length;
    return removed;
  }

  private itemsOf(owner: object, priority: Priority): T[] {
    const level = this.levels[PRIORITIES.indexOf(priority)];
    let items = level.get(owner);
    if (!items) {
      items = [];
      level.set(owner, items);
    }
    return items;
  }
}
