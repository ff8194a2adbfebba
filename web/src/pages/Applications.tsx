import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useNavigate } from "react-router";
import { api, type ApplicationQuery } from "../api/client";
import { useUser } from "../auth/session";
import { ApplicationForm } from "../components/ApplicationForm";
import { DataState } from "../components/DataState";
import { Page } from "../components/Page";
import { canRegisterApplication, platformLabel } from "../lib/catalog";
import { humanize, stringList } from "../lib/format";
import { useUrlState } from "../lib/useUrlState";
import { Table } from "../components/Table";

const CATEGORIES = ["business", "developer", "infrastructure", "productivity", "security", "utility"] as const;
const PLATFORMS = ["windows", "macos", "linux", "ios", "android"] as const;
const PAGE = 50;
const KEYS = ["q", "category", "platform", "business_unit", "boundary", "page"] as const;

export function Applications() {
  const { values, setFilters } = useUrlState(KEYS);
  const [draft, setDraft] = useState(values);
  const user = useUser();
  const navigate = useNavigate();
  const [registering, setRegistering] = useState(false);
  const all = useQuery({ queryKey: ["applications", {}], queryFn: () => api.applications.list({}), enabled: registering });
  const query: ApplicationQuery = {
    q: values.q,
    category: (values.category || undefined) as ApplicationQuery["category"],
    platform: values.platform,
    business_unit: values.business_unit,
    boundary: values.boundary,
  };
  const apps = useQuery({
    queryKey: ["applications", query],
    queryFn: () => api.applications.list(query),
    placeholderData: keepPreviousData,
  });
  // The applications endpoint is not paged; page on the client so thousands of rows stay usable.
  const page = Math.max(0, Number.parseInt(values.page || "0", 10) || 0);
  const rows = apps.data ?? [];
  const shown = rows.slice(page * PAGE, page * PAGE + PAGE);
  const pages = Math.max(1, Math.ceil(rows.length / PAGE));

  function apply(e: FormEvent) {
    e.preventDefault();
    setFilters({ ...draft, page: "" });
  }

  return (
    <Page
      title="Applications"
      subtitle="The catalog: what may be deployed, by whom it is owned, and its versions."
      actions={
        canRegisterApplication(user) && !registering ? (
          <button type="button" className="btn btn-primary" onClick={() => setRegistering(true)}>
            Register an application
          </button>
        ) : undefined
      }
    >
      {registering ? (
        <DataState query={all} label="the catalog's boundaries and business units">
          <ApplicationForm
            apps={all.data ?? []}
            onCreated={(app) => navigate(`/applications/${app.id}`, { state: { registered: true } })}
            onCancel={() => setRegistering(false)}
          />
        </DataState>
      ) : null}
      <form className="filters" onSubmit={apply} role="search" aria-label="Filter applications">
        <div className="field">
          <label htmlFor="app-q">Search</label>
          <input
            id="app-q"
            type="search"
            placeholder="Name or vendor"
            value={draft.q}
            onChange={(e) => setDraft({ ...draft, q: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor="app-category">Category</label>
          <select id="app-category" value={draft.category} onChange={(e) => setDraft({ ...draft, category: e.target.value })}>
            <option value="">Any</option>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {humanize(c)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="app-platform">Platform</label>
          <select id="app-platform" value={draft.platform} onChange={(e) => setDraft({ ...draft, platform: e.target.value })}>
            <option value="">Any</option>
            {PLATFORMS.map((p) => (
              <option key={p} value={p}>
                {platformLabel(p)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="app-bu">Business unit</label>
          <input id="app-bu" value={draft.business_unit} onChange={(e) => setDraft({ ...draft, business_unit: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="app-boundary">Boundary</label>
          <input id="app-boundary" value={draft.boundary} onChange={(e) => setDraft({ ...draft, boundary: e.target.value })} />
        </div>
        <div className="filter-actions">
          <button type="submit" className="btn btn-primary">
            Apply filters
          </button>
          <button
            type="button"
            className="btn"
            onClick={() => {
              const empty = Object.fromEntries(KEYS.map((k) => [k, ""])) as typeof values;
              setDraft(empty);
              setFilters(empty);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <DataState query={apps} label="applications" isEmpty={rows.length === 0} empty="No application matches these filters.">
        <p className="muted" role="status">
          {rows.length} {rows.length === 1 ? "application" : "applications"}
        </p>
        <Table
          caption="Applications"
          id="applications"
          rows={shown}
          rowKey={(a) => a.id}
          columns={[
            { label: "Name", value: (a) => a.name, cell: (a) => <Link to={`/applications/${a.id}`}>{a.name}</Link> },
            { label: "Vendor", cell: (a) => a.vendor },
            { label: "Category", cell: (a) => humanize(a.category) },
            { label: "Platforms", cell: (a) => stringList(a.platforms).map(platformLabel).join(", ") },
            { label: "Boundary", cell: (a) => a.boundary },
            { label: "Business units", cell: (a) => stringList(a.business_units).join(", ") },
            { label: "Privileged", cell: (a) => (a.privileged_tooling ? "Yes (privileged)" : "No") },
            { label: "Versions", className: "num", value: (a) => a.version_count, cell: (a) => a.version_count },
          ]}
        />
        {pages > 1 ? (
          <nav className="pager" aria-label="Applications pages">
            <button type="button" className="btn" disabled={page === 0} onClick={() => setFilters({ ...values, page: String(page - 1) })}>
              ← Previous page
            </button>
            <span className="muted">
              Page {page + 1} of {pages}
            </span>
            <button
              type="button"
              className="btn"
              disabled={page >= pages - 1}
              onClick={() => setFilters({ ...values, page: String(page + 1) })}
            >
              Next page →
            </button>
          </nav>
        ) : null}
      </DataState>
    </Page>
  );
}
