/**
 * "Did you mean": the nearest known spellings of a mistyped value (a role key, a CSV header, an
 * e-mail), by edit distance. Pure and deterministic.
 */
import { ROLE_CATALOGUE, Role } from "../catalogue/roles";

/**
 * Edit distance with adjacent transpositions (optimal string alignment): the number of single
 * characters inserted, deleted, replaced or swapped with their neighbour to turn `a` into `b`
 * ("tset" → "test" is one edit).
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[0].push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2][j - 2] + 1);
      rows[i].push(d);
    }
  }
  return rows[a.length][b.length];
}

/** How far a typo may be from what was meant: 2 edits, 1 for short words (≤ 4 characters). */
function maxDistanceFor(text: string): number {
  return text.length <= 4 ? 1 : 2;
}

/**
 * The candidates nearest to `text`, best first (at most 3, all at the smallest distance found),
 * within 2 edits (1 for short words). `normalize` is applied to both sides before comparing;
 * the candidates' own spelling is returned. An exact match (after normalizing) is returned too:
 * the same word written in another form (a Role constant for its key).
 */
export function nearest(text: string, candidates: Iterable<string>, normalize: (s: string) => string = (s) => s.trim().toLowerCase()): string[] {
  const wanted = normalize(text);
  const limit = maxDistanceFor(wanted);
  let best = Infinity;
  let found: string[] = [];
  for (const candidate of new Set(candidates)) {
    const norm = normalize(candidate);
    if (Math.abs(norm.length - wanted.length) > limit) continue;
    const d = editDistance(wanted, norm);
    if (d > limit || d > best) continue;
    if (d < best) {
      best = d;
      found = [];
    }
    found.push(candidate);
  }
  return found.slice(0, 3);
}

/** `did you mean "a"?`, `did you mean "a" or "b"?` — the start of a fix; "" when there is nothing to suggest. */
export function didYouMean(suggestions: readonly string[]): string {
  if (suggestions.length === 0) return "";
  const quoted = suggestions.map((s) => `"${s}"`);
  return `did you mean ${quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(", ")} or ${quoted[quoted.length - 1]}`}?`;
}

const CONSTANT_OF: ReadonlyMap<string, string> = new Map(Object.entries(Role).map(([constant, key]) => [key, constant]));

/** `Role.REPORTS_SUPERVISOR`, the constant of a role key (for a fix that names both). */
export function roleConstantOf(key: string): string | undefined {
  const constant = CONSTANT_OF.get(key);
  return constant === undefined ? undefined : `Role.${constant}`;
}

/** Every spelling a role is known by (key, `Role` constant, catalogue name), to the key it means. */
const ROLE_SPELLINGS: ReadonlyMap<string, string> = (() => {
  const out = new Map<string, string>();
  const norm = (s: string) => s.trim().toLowerCase();
  for (const role of ROLE_CATALOGUE) {
    out.set(norm(role.key), role.key);
    out.set(norm(role.name), role.key);
  }
  for (const [constant, key] of Object.entries(Role)) {
    out.set(norm(constant), key);
    out.set(norm(`Role.${constant}`), key);
  }
  return out;
})();

/** The role keys a mistyped key most likely means (by its key, `Role` constant or catalogue name). */
export function suggestRoles(text: string): string[] {
  const keys = nearest(text, ROLE_SPELLINGS.keys()).map((spelling) => ROLE_SPELLINGS.get(spelling)!);
  return [...new Set(keys)].slice(0, 3);
}

/** `did you mean "customer.user.supervisorl1" (Role.REPORTS_SUPERVISOR)?`, or "" when nothing is near. */
export function didYouMeanRole(text: string): string {
  const keys = suggestRoles(text);
  if (keys.length === 0) return "";
  const named = keys.map((k) => {
    const constant = roleConstantOf(k);
    return constant ? `"${k}" (${constant})` : `"${k}"`;
  });
  return `did you mean ${named.length === 1 ? named[0] : `${named.slice(0, -1).join(", ")} or ${named[named.length - 1]}`}?`;
}
