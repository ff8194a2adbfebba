import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api, type ComponentQuery, cursorOf } from "../api/client";
import { DataState } from "../components/DataState";
import { Page } from "../components/Page";
import { Pager } from "../components/Pager";
import { useUrlState } from "../lib/useUrlState";
import { Table } from "../components/Table";

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
          <Table
            caption="Artifacts containing the component"
            id="components"
            rows={rows}
            rowKey={(c) => `${c.evidence}-${c.name}-${c.version}`}
            busy={components.isFetching}
            columns={[
              {
                label: "Component",
                value: (c) => `${c.name} ${c.version} ${c.purl ?? ""}`,
                cell: (c) => (
                  <>
                    {c.name} {c.version}
                    {c.purl ? (
                      <div className="small muted">
                        <code>{c.purl}</code>
                      </div>
                    ) : null}
                  </>
                ),
              },
              { label: "Licences", cell: (c) => (Array.isArray(c.licenses) && c.licenses.length ? (c.licenses as string[]).join(", ") : "none stated") },
              { label: "Application", cell: (c) => `${c.application} ${c.application_version}` },
              { label: "Artifact digest", value: (c) => c.artifact_sha256, cell: (c) => <code className="digest">{c.artifact_sha256}</code> },
            ]}
          />
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
