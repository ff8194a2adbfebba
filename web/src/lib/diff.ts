/** Before/after of a ledger event as a flat list of changed paths, so a person can read it. */

export type ChangeKind = "added" | "removed" | "changed" | "unchanged";

export interface DiffRow {
  path: string;
  kind: ChangeKind;
  before?: unknown;
  after?: unknown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Flatten nested objects and arrays to `a.b[0].c` → leaf value. Empty containers are leaves. */
export function flatten(value: unknown, prefix = ""): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (v: unknown, path: string) => {
    if (Array.isArray(v) && v.length > 0) {
      v.forEach((item, i) => walk(item, `${path}[${i}]`));
    } else if (isPlainObject(v) && Object.keys(v).length > 0) {
      for (const [k, child] of Object.entries(v)) walk(child, path ? `${path}.${k}` : k);
    } else {
      out.set(path || "(value)", v);
    }
  };
  if (value !== null && value !== undefined) walk(value, prefix);
  return out;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function diff(before: unknown, after: unknown): DiffRow[] {
  const a = flatten(before);
  const b = flatten(after);
  const paths = [...new Set([...a.keys(), ...b.keys()])];
  return paths.map((path) => {
    const hasA = a.has(path);
    const hasB = b.has(path);
    if (hasA && !hasB) return { path, kind: "removed", before: a.get(path) };
    if (!hasA && hasB) return { path, kind: "added", after: b.get(path) };
    const kind: ChangeKind = same(a.get(path), b.get(path)) ? "unchanged" : "changed";
    return { path, kind, before: a.get(path), after: b.get(path) };
  });
}

export function showValue(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}
