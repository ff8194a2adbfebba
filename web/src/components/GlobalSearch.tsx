import { useQuery } from "@tanstack/react-query";
import { type KeyboardEvent, useEffect, useId, useRef, useState } from "react";
import { Link, useNavigate } from "react-router";
import { search, type SearchGroup } from "../api/search";
import { ProblemAlert } from "./ProblemAlert";

export const KIND_LABELS: Record<string, string> = {
  applications: "Applications",
  intents: "Intents",
  cab_requests: "CAB requests",
  components: "Components",
  ledger: "Ledger events",
};

/** Where a hit of each kind is shown. */
export function hitLink(kind: string, id: string, name: string): string {
  switch (kind) {
    case "applications":
      return `/applications/${id}`;
    case "intents":
      return `/intents/${id}`;
    case "cab_requests":
      return `/cab/${id}`;
    case "components":
      return `/components?${new URLSearchParams({ name })}`;
    default:
      return `/ledger/${id}`;
  }
}

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName);
}

/**
 * The header's search: applications, intents, CAB requests, components by name, and ledger events by
 * correlation id. `/` anywhere (outside a text field) focuses it; Escape closes the results.
 */
export function GlobalSearch() {
  const [text, setText] = useState("");
  const [query, setQuery] = useState("");
  const [open, setOpen] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const navigate = useNavigate();
  const resultsId = useId();

  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey && !typing(e.target)) {
        e.preventDefault();
        input.current?.focus();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  useEffect(() => {
    const t = setTimeout(() => setQuery(text.trim()), 250);
    return () => clearTimeout(t);
  }, [text]);

  const results = useQuery({
    queryKey: ["search", query],
    queryFn: () => search.find(query),
    enabled: query.length >= 2,
    staleTime: 10_000,
  });
  const groups: SearchGroup[] = results.data?.groups.filter((g) => g.hits.length > 0) ?? [];
  const count = groups.reduce((n, g) => n + g.hits.length, 0);
  const showing = open && query.length >= 2;

  const close = () => setOpen(false);
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      close();
      input.current?.focus();
    }
  };
  const first = groups[0]?.hits[0];

  return (
    <div
      className="global-search"
      ref={box}
      role="search"
      onKeyDown={onKeyDown}
      onBlur={(e) => {
        if (!box.current?.contains(e.relatedTarget as Node | null)) close();
      }}
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (first && groups[0]) {
            close();
            navigate(hitLink(groups[0].kind, first.id, first.name));
          }
        }}
      >
        <label htmlFor="global-search" className="sr-only">
          Find anything
        </label>
        {/* what it searches is its description, not its name: a short name never shadows a page's own fields */}
        <span id="global-search-what" className="sr-only">
          Applications, intents, CAB requests, components, or ledger events by correlation id.
        </span>
        <input
          id="global-search"
          aria-describedby="global-search-what"
          ref={input}
          type="search"
          value={text}
          placeholder="Find anything (press /)"
          autoComplete="off"
          aria-controls={resultsId}
          onChange={(e) => {
            setText(e.target.value);
            setOpen(true);
          }}
          onFocus={() => setOpen(true)}
        />
      </form>
      <span className="sr-only" role="status">
        {showing && results.data ? `${count} result${count === 1 ? "" : "s"} for ${query}` : ""}
      </span>
      <div id={resultsId} className="search-results" hidden={!showing}>
        {results.isError ? <ProblemAlert error={results.error} title="Finding did not work" /> : null}
        {results.isPending && !results.data ? <p className="muted">Searching…</p> : null}
        {results.data && groups.length === 0 ? (
          <p className="muted">
            Nothing matches “{query}” that you may see. Try part of a name or title, or a whole correlation id.
          </p>
        ) : null}
        {groups.map((g) => (
          <section key={g.kind} className="search-group" aria-labelledby={`${resultsId}-${g.kind}`}>
            <h2 id={`${resultsId}-${g.kind}`}>{KIND_LABELS[g.kind] ?? g.kind}</h2>
            <ul>
              {g.hits.map((h) => (
                <li key={h.id}>
                  <Link to={hitLink(g.kind, h.id, h.name)} onClick={close}>
                    {h.name}
                  </Link>{" "}
                  <span className="small muted">{h.detail}</span>
                </li>
              ))}
              {g.kind === "ledger" ? (
                <li>
                  <Link to={`/ledger?${new URLSearchParams({ correlation_id: query })}`} onClick={close}>
                    Every event with this correlation id
                  </Link>
                </li>
              ) : g.more ? (
                <li className="small muted">More match; type more of the name.</li>
              ) : null}
            </ul>
          </section>
        ))}
      </div>
    </div>
  );
}
