/**
 * The 4.x token block lists: one per user (the GSQL login that sent the DELETE), bounded by
 * GSQL.Token.DropLimit. A token on any list is refused. What happens when a list is full and
 * whether expired tokens leave it are UNCONFIRMED: both are quirks (quirks.ts).
 */
export interface BlockPolicy {
  capacity: number;
  whenFull: 'refuse' | 'drop-oldest';
  dropsExpired: boolean;
  /** Whether a listed token has expired (only consulted when `dropsExpired`). */
  expired(token: string): boolean;
}

export class BlockLists {
  /** user -> listed tokens, oldest first. */
  private readonly lists = new Map<string, string[]>();

  has(token: string): boolean {
    for (const list of this.lists.values()) if (list.includes(token)) return true;
    return false;
  }

  /** Entries on `user`'s list now. */
  size(user: string): number {
    return this.lists.get(user)?.length ?? 0;
  }

  clear(user: string): void {
    this.lists.delete(user);
  }

  /** Adds `tokens` to `user`'s list. False when refused as full; then nothing was added (all or nothing). */
  add(user: string, tokens: readonly string[], policy: BlockPolicy): boolean {
    let list = this.lists.get(user) ?? [];
    if (policy.dropsExpired) list = list.filter((t) => !policy.expired(t));
    const fresh = [...new Set(tokens)].filter((t) => !list.includes(t));
    if (policy.whenFull === 'refuse' && list.length + fresh.length > policy.capacity) {
      this.lists.set(user, list);
      return false;
    }
    list.push(...fresh);
    // 'drop-oldest': the evicted tokens work again, as a revoke silently undone would.
    while (list.length > policy.capacity) list.shift();
    this.lists.set(user, list);
    return true;
  }
}
