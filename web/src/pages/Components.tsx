import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api, type ComponentQuery, cursorOf } from "../api/client";
import { DataState } from "../components/DataState";
import { Page } from "../components/Page";
import { Pager } from "../components/Pager";
import { useUrlState } from "../lib/useUrlState";

const KEYS = ["name", "version", "purl"] as const;

/** "Which artifacts contain component X version Y?", answered from the SBOMs on record. */
export function Components() {
  const { values, cursor, setFilters, setCursor } = useUrlState(KEYS);
  const [draft, setDraft] = useState(values);
  const searched = !!(values.name || values.version || values.purl);
  const query: ComponentQuery = { ...values, cursor: cursor || undefined, page_size: 50 };
  const components = useQuery({
    queryKey: ["components", query],
    queryFn: () => api.components.list(query),
    placeholderData: keepPreviousData,
    enabled: searched,
  });
  const rows = components.data?.results ?? [];
  function apply(e: FormEvent) {
    e.preventDefault();
    setFilters(draft);
  }
  return (
    <Page title="Components" subtitle="Which artifacts contain a component, from their SBOMs.">
      <form className="filters" onSubmit={apply} role="search" aria-label="Search components">
        <div className="field">
          <label htmlFor="cmp-name">Component name</label>
          <input id="cmp-name" value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="cmp-version">Version</label>
          <input id="cmp-version" value={draft.version} onChange={(e) => setDraft({ ...draft, version: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="cmp-purl">Package URL (purl)</label>
          <input id="cmp-purl" value={draft.purl} onChange={(e) => setDraft({ ...draft, purl: e.target.value })} />
        </div>
        <div className="filter-actions">
          <button type="submit" className="btn btn-primary">
            Search
          </button>
        </div>
      </form>
      {!searched ? (
        <p className="empty" role="status">
          Give a component name (and optionally a version) to find the artifacts that contain it.
        </p>
      ) : (
        <DataState query={components} label="components" isEmpty={rows.length === 0 && !cursor} empty="No artifact contains this component.">
          <div className="table-wrap">
            <table className="table" aria-busy={components.isFetching}>
              <caption className="sr-only">Artifacts containing the component</caption>
              <thead>
                <tr>
                  <th scope="col">Component</th>
                  <th scope="col">Licences</th>
                  <th scope="col">Application</th>
                  <th scope="col">Artifact digest</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((c) => (
                  <tr key={`${c.evidence}-${c.name}-${c.version}`}>
                    <td>
                      {c.name} {c.version}
                      {c.purl ? (
                        <div className="small muted">
                          <code>{c.purl}</code>
                        </div>
                      ) : null}
                    </td>
                    <td>{Array.isArray(c.licenses) && c.licenses.length ? (c.licenses as string[]).join(", ") : "none stated"}</td>
                    <td>
                      {c.application} {c.application_version}
                    </td>
                    <td>
                      <code className="digest">{c.artifact_sha256}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            label="Components"
            count={rows.length}
            busy={components.isFetching}
            hasPrevious={!!components.data?.previous}
            hasNext={!!components.data?.next}
            onPrevious={() => setCursor(cursorOf(components.data?.previous))}
            onNext={() => setCursor(cursorOf(components.data?.next))}
          />
        </DataState>
      )}
    </Page>
  );
}
