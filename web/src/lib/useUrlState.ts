import { useCallback, useMemo } from "react";
import { useSearchParams } from "react-router";

/**
 * Filters and the paging cursor live in the URL: a filtered page can be bookmarked, shared and
 * reached with Back. Changing a filter drops the cursor (page 1 of the new result).
 */
export function useUrlState<K extends string>(keys: readonly K[]) {
  const [params, setParams] = useSearchParams();
  const values = useMemo(() => {
    const out = {} as Record<K, string>;
    for (const k of keys) out[k] = params.get(k) ?? "";
    return out;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [params, keys.join(",")]);
  const cursor = params.get("cursor") ?? "";

  const setFilters = useCallback(
    (next: Partial<Record<K, string>>) => {
      setParams((prev) => {
        const p = new URLSearchParams(prev);
        for (const [k, v] of Object.entries(next) as [K, string | undefined][]) {
          if (v) p.set(k, v);
          else p.delete(k);
        }
        p.delete("cursor");
        return p;
      });
    },
    [setParams],
  );

  const setCursor = useCallback(
    (c: string | null) => {
      setParams((prev) => {
        const p = new URLSearchParams(prev);
        if (c) p.set("cursor", c);
        else p.delete("cursor");
        return p;
      });
    },
    [setParams],
  );

  return { values, cursor, setFilters, setCursor };
}
