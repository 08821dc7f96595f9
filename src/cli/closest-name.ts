/**
 * The name in `known` closest to `name`, to suggest for a typo (`prot` → `port`), or null when none
 * is close. Case, `-` and `_` do not count (`max_skew` → `maxSkew`); a swap of two neighbouring
 * letters counts as one edit.
 */
export function closestName(name: string, known: readonly string[]): string | null {
  const wanted = normalizeName(name);
  const allowed = Math.max(1, Math.floor(wanted.length / 3));
  let best: { name: string; distance: number } | null = null;
  for (const candidate of known) {
    const distance = editDistance(wanted, normalizeName(candidate));
    if (distance <= allowed && (best === null || distance < best.distance))
      best = { name: candidate, distance };
  }
  return best?.name ?? null;
}

/** `max_skew`, `max-skew` and `maxSkew` alike: lower case, no `-` or `_`. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, '');
}

/** Edits (insert, delete, replace, swap of neighbours) that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}
