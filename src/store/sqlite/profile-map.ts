import type { ProfileView } from '../change-log.js';

type Kind = ProfileView['kind'];

/**
 * Profile rows by kind and id, one `Map` per kind, each in the order its rows were set. The id is
 * the key as it came: V8 keeps a string's hash in the string, so an event's id is hashed once
 * however often its row is looked up, where a key joined from kind and id was a new string, hashed
 * anew, at every lookup.
 */
export class ProfileMap {
  readonly #groups = new Map<string, ProfileView>();
  readonly #topics = new Map<string, ProfileView>();

  get size(): number {
    return this.#groups.size + this.#topics.size;
  }

  get(kind: Kind, id: string): ProfileView | undefined {
    return this.#of(kind).get(id);
  }

  /** Holds `row`; one that replaces another keeps its place in the order. */
  set(row: ProfileView): void {
    this.#of(row.kind).set(row.id, row);
  }

  delete(row: Pick<ProfileView, 'kind' | 'id'>): void {
    this.#of(row.kind).delete(row.id);
  }

  clear(): void {
    this.#groups.clear();
    this.#topics.clear();
  }

  /** Every row held, the groups first, each kind oldest first; a row deleted meanwhile is skipped. */
  *values(): IterableIterator<ProfileView> {
    yield* this.#groups.values();
    yield* this.#topics.values();
  }

  /** Forgets the oldest row of the kind that holds more. */
  dropOldest(): void {
    const rows = this.#groups.size >= this.#topics.size ? this.#groups : this.#topics;
    const oldest = rows.keys().next();
    if (!oldest.done) rows.delete(oldest.value);
  }

  #of(kind: Kind): Map<string, ProfileView> {
    return kind === 'group' ? this.#groups : this.#topics;
  }
}
