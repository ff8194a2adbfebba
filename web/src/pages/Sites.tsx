import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { cursorOf } from "../api/client";
import {
  type BundleExport,
  type BundleImport,
  DISTRIBUTION_LABELS,
  type DistributionStrategy,
  SITE_CLASS_LABELS,
  PLANE_LABELS,
  type Plane,
  type Site,
  sites,
} from "../api/sites";
import { useUser } from "../auth/session";
import { DataState } from "../components/DataState";
import { Page } from "../components/Page";
import { Pager } from "../components/Pager";
import { SiteForm } from "../components/SiteForm";
import { type Column, Table } from "../components/Table";
import { Time } from "../components/Time";
import { isPlatformAdmin } from "../lib/permissions";

const siteColumns: Column<Site>[] = [
  { label: "Site", rowHeader: true, cell: (s) => (s.title ? `${s.title} (${s.name})` : s.name) },
  { label: "Class", value: (s) => s.site_class, cell: (s) => SITE_CLASS_LABELS[s.site_class] ?? s.site_class },
  { label: "Boundary", cell: (s) => s.boundary },
  {
    label: "Plane",
    value: (s) => s.plane,
    cell: (s) => {
      const plane = PLANE_LABELS[s.plane as Plane] ?? s.plane;
      return s.connector_name ? `${plane} (${s.connector_name})` : plane;
    },
  },
  { label: "Time zone", cell: (s) => s.time_zone },
  { label: "Bundle key", cell: (s) => (s.key_id ? <code>{s.key_id}</code> : "none (served live)") },
  { label: "Active", value: (s) => (s.active ? "yes" : "no"), cell: (s) => (s.active ? "Yes" : "No") },
];

const strategyColumns: Column<DistributionStrategy>[] = [
  { label: "Site class", rowHeader: true, cell: (s) => SITE_CLASS_LABELS[s.site_class] ?? s.site_class },
  { label: "Distribution", cell: (s) => DISTRIBUTION_LABELS[s.distribution] ?? s.distribution },
  { label: "Results", cell: (s) => s.results.replace(/_/g, " ") },
  {
    label: "Snapshot may be",
    value: (s) => s.vuln_snapshot_max_age_days,
    cell: (s) => `at most ${s.vuln_snapshot_max_age_days} days old`,
  },
  { label: "Policy", cell: (s) => s.policy_version },
];

const exportColumns: Column<BundleExport>[] = [
  { label: "Bundle", rowHeader: true, value: (b) => b.id, cell: (b) => <code>{b.id.slice(0, 8)}</code> },
  { label: "Kind", cell: (b) => (b.kind === "intent" ? "Intent" : "Results") },
  { label: "Intent", cell: (b) => b.intent_name },
  { label: "Site", cell: (b) => b.site_name },
  { label: "Manifest SHA-256", value: (b) => b.manifest_sha256, cell: (b) => <code className="digest">{b.manifest_sha256}</code> },
  {
    label: "Snapshot",
    value: (b) => b.vuln_snapshot_date ?? "",
    cell: (b) => (b.vuln_snapshot_date ? <Time value={b.vuln_snapshot_date} /> : "—"),
  },
  { label: "By", cell: (b) => b.created_by },
  { label: "At", value: (b) => b.created_at, cell: (b) => <Time value={b.created_at} /> },
];

const importColumns: Column<BundleImport>[] = [
  { label: "Bundle", rowHeader: true, value: (b) => b.bundle_id, cell: (b) => <code>{b.bundle_id.slice(0, 8)}</code> },
  { label: "Kind", cell: (b) => (b.kind === "intent" ? "Intent" : "Results") },
  { label: "Intent", cell: (b) => b.intent_name },
  { label: "Site", cell: (b) => b.site_name },
  { label: "Signed by key", value: (b) => b.signer_key_id, cell: (b) => <code>{b.signer_key_id}</code> },
  { label: "By", cell: (b) => b.imported_by },
  { label: "At", value: (b) => b.imported_at, cell: (b) => <Time value={b.imported_at} /> },
];

interface Paginated<T> {
  results: T[];
  next?: string | null;
  previous?: string | null;
}

/** One paged table of bundles (exports or imports). */
function Paged<T>({
  label,
  id,
  fetch,
  columns,
  rowKey,
}: {
  label: string;
  id: string;
  fetch: (cursor?: string) => Promise<Paginated<T>>;
  columns: Column<T>[];
  rowKey: (row: T) => string;
}) {
  const [cursor, setCursor] = useState<string | undefined>();
  const list = useQuery({
    queryKey: ["bundles", id, cursor],
    queryFn: () => fetch(cursor),
    placeholderData: keepPreviousData,
  });
  const rows = list.data?.results ?? [];
  return (
    <DataState query={list} label={label.toLowerCase()} isEmpty={rows.length === 0 && !cursor} empty={`No ${label.toLowerCase()} yet.`}>
      <Table caption={label} captionVisible id={id} rows={rows} rowKey={rowKey} busy={list.isFetching} columns={columns} />
      <Pager
        label={label}
        count={rows.length}
        busy={list.isFetching}
        hasPrevious={!!list.data?.previous}
        hasNext={!!list.data?.next}
        onPrevious={() => setCursor(cursorOf(list.data?.previous) ?? undefined)}
        onNext={() => setCursor(cursorOf(list.data?.next) ?? undefined)}
      />
    </DataState>
  );
}

type Editing = { site?: Site } | null;

/** Sites and their distribution strategy, and the signed bundles that served the air-gapped ones. */
export function Sites() {
  const manage = isPlatformAdmin(useUser());
  const queryClient = useQueryClient();
  const list = useQuery({ queryKey: ["sites"], queryFn: sites.list });
  const strategies = useQuery({ queryKey: ["distribution-strategies"], queryFn: sites.strategies });
  const [editing, setEditing] = useState<Editing>(null);
  const [notice, setNotice] = useState("");
  const noticeRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (notice) noticeRef.current?.focus();
  }, [notice]);
  const rows = list.data ?? [];
  const open = (e: Editing) => {
    setNotice("");
    setEditing(e);
  };
  const columns: Column<Site>[] = manage
    ? [
        ...siteColumns,
        {
          label: "Actions",
          data: false,
          cell: (s) => (
            <button type="button" className="btn btn-small" onClick={() => open({ site: s })} aria-label={`Edit ${s.title || s.name}…`}>
              Edit…
            </button>
          ),
        },
      ]
    : siteColumns;
  return (
    <Page
      title="Sites"
      subtitle="Where endpoints live, how each site class is served, and the bundles that crossed the air gap."
      actions={
        manage && !editing ? (
          <button type="button" className="btn btn-primary" onClick={() => open({})}>
            Register a site…
          </button>
        ) : null
      }
    >
      {notice ? (
        <p ref={noticeRef} className="alert alert-success" role="status" tabIndex={-1}>
          {notice}
        </p>
      ) : null}
      {manage && editing ? (
        <SiteForm
          key={editing.site?.id ?? "new"}
          site={editing.site}
          onCancel={() => setEditing(null)}
          onDone={(s, created) => {
            setEditing(null);
            setNotice(created ? `Site “${s.title || s.name}” is registered.` : `Site “${s.title || s.name}” is saved.`);
            void queryClient.invalidateQueries({ queryKey: ["sites"] });
          }}
        />
      ) : null}
      <DataState
        query={list}
        label="sites"
        isEmpty={rows.length === 0}
        empty={manage ? "No site is registered yet; register the first one." : "No site is registered yet. A Platform Admin registers sites."}
      >
        <Table caption="Sites" captionVisible id="sites" rows={rows} rowKey={(s) => s.id} rowData={(s) => ({ "data-site": s.name })} columns={columns} />
      </DataState>
      <DataState query={strategies} label="distribution strategies" isEmpty={(strategies.data ?? []).length === 0}>
        <Table
          caption="Distribution strategy per site class"
          captionVisible
          id="strategies"
          rows={strategies.data ?? []}
          rowKey={(s) => s.site_class}
          columns={strategyColumns}
        />
      </DataState>
      <Paged<BundleExport> label="Bundles exported" id="bundle-exports" fetch={sites.exports} columns={exportColumns} rowKey={(b) => b.id} />
      <Paged<BundleImport> label="Bundles imported" id="bundle-imports" fetch={sites.imports} columns={importColumns} rowKey={(b) => b.id} />
    </Page>
  );
}
