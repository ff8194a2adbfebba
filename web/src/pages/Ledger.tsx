import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { Link } from "react-router";
import { api, cursorOf, type LedgerQuery } from "../api/client";
import { useUser } from "../auth/session";
import { DataState } from "../components/DataState";
import { Icon } from "../components/Icon";
import { Page } from "../components/Page";
import { Pager } from "../components/Pager";
import { SubjectLink } from "../components/SubjectLink";
import { ProblemAlert } from "../components/ProblemAlert";
import { isoToLocalInput, localInputToIso } from "../lib/format";
import { canExportLedger, canVerifyLedger } from "../lib/permissions";
import { useUrlState } from "../lib/useUrlState";
import { Table } from "../components/Table";
import { Time } from "../components/Time";

const KEYS = ["action", "actor", "subject_type", "subject_id", "correlation_id", "since", "until", "page_size"] as const;
const PAGE_SIZE = 50;
const pageSizeOf = (v: string) => Math.min(500, Math.max(1, Number.parseInt(v, 10) || PAGE_SIZE));

function VerifyPanel() {
  const verify = useMutation({ mutationFn: api.ledger.verify });
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (verify.isSuccess || verify.isError) ref.current?.focus();
  }, [verify.isSuccess, verify.isError]);
  const r = verify.data;
  return (
    <section className="card" aria-labelledby="verify-h">
      <h2 id="verify-h">Verify the chain</h2>
      <p className="small">Recomputes every event's hash from the first to the head and checks the signed checkpoints.</p>
      <button type="button" className="btn btn-primary" onClick={() => verify.mutate()} disabled={verify.isPending}>
        {verify.isPending ? "Verifying…" : "Verify chain"}
      </button>
      {verify.isError ? <ProblemAlert ref={ref} error={verify.error} title="Verification could not run" /> : null}
      {r ? (
        <div
          ref={ref}
          tabIndex={-1}
          role="status"
          className={`alert ${r.ok ? "alert-success" : "alert-error"} verify-result`}
          data-ok={r.ok ? "true" : "false"}
        >
          <p className="alert-title">
            <Icon name={r.ok ? "check" : "cross"} />{" "}
            <strong>{r.ok ? "Chain intact" : "Chain broken"}</strong>
          </p>
          <p>
            {r.checked} events checked up to head #{r.head_sequence}; {r.checkpoints_verified} signed checkpoints verified.
          </p>
          {!r.ok ? (
            <p>
              First bad sequence: <strong>{r.first_bad_sequence ?? "unknown"}</strong>. {r.problem}
            </p>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

function ExportPanel() {
  const [status, setStatus] = useState<string>("");
  const exporter = useMutation({
    mutationFn: api.ledger.exportLines,
    onSuccess: (blob) => {
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = "fleetgate-ledger.jsonl";
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setStatus(`Exported ${blob.size.toLocaleString("en-US")} bytes as fleetgate-ledger.jsonl.`);
    },
  });
  return (
    <section className="card" aria-labelledby="export-h">
      <h2 id="export-h">Export</h2>
      <p className="small">The whole ledger as JSON lines, one event per line, for offline verification or a SIEM.</p>
      <button type="button" className="btn" onClick={() => exporter.mutate()} disabled={exporter.isPending}>
        {exporter.isPending ? "Exporting…" : "Export JSON lines"}
      </button>
      <p role="status" className="small">
        {status}
      </p>
      {exporter.isError ? <ProblemAlert error={exporter.error} title="Export failed" /> : null}
    </section>
  );
}

export function Ledger() {
  const user = useUser();
  const { values, cursor, setFilters, setCursor } = useUrlState(KEYS);
  const [draft, setDraft] = useState({ ...values, since: isoToLocalInput(values.since), until: isoToLocalInput(values.until) });
  const query: LedgerQuery = { ...values, cursor: cursor || undefined, page_size: pageSizeOf(values.page_size) };
  const events = useQuery({
    queryKey: ["ledger", query],
    queryFn: () => api.ledger.list(query),
    placeholderData: keepPreviousData,
  });
  const rows = events.data?.results ?? [];

  function apply(e: FormEvent) {
    e.preventDefault();
    setFilters({ ...draft, since: localInputToIso(draft.since), until: localInputToIso(draft.until) });
  }
  const text = (key: (typeof KEYS)[number], label: string, placeholder?: string) => (
    <div className="field">
      <label htmlFor={`lf-${key}`}>{label}</label>
      <input id={`lf-${key}`} value={draft[key]} placeholder={placeholder} onChange={(e) => setDraft({ ...draft, [key]: e.target.value })} autoComplete="off" />
    </div>
  );

  return (
    <Page title="Ledger" subtitle="Every change, hash-chained, newest first. Nothing here can be edited or deleted.">
      {canVerifyLedger(user) || canExportLedger(user) ? (
        <div className="grid">
          {canVerifyLedger(user) ? <VerifyPanel /> : null}
          {canExportLedger(user) ? <ExportPanel /> : null}
        </div>
      ) : null}
      <form className="filters" onSubmit={apply} role="search" aria-label="Filter ledger events">
        {text("action", "Action starts with", "intent.")}
        {text("actor", "Actor (username)")}
        {text("subject_type", "Subject type", "intent")}
        {text("subject_id", "Subject id")}
        {text("correlation_id", "Correlation id")}
        <div className="field">
          <label htmlFor="lf-since">From (UTC)</label>
          <input id="lf-since" type="datetime-local" value={draft.since} onChange={(e) => setDraft({ ...draft, since: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="lf-until">Until (UTC)</label>
          <input id="lf-until" type="datetime-local" value={draft.until} onChange={(e) => setDraft({ ...draft, until: e.target.value })} />
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
      <DataState query={events} label="ledger events" isEmpty={rows.length === 0 && !cursor} empty="No event matches these filters.">
        <Table
          caption="Ledger events, newest first"
          id="ledger"
          rows={rows}
          rowKey={(e) => String(e.sequence)}
          busy={events.isFetching}
          columns={[
            {
              label: "#",
              value: (e) => e.sequence,
              cell: (e) => (
                <Link to={`/ledger/${e.sequence}`} aria-label={`Event ${e.sequence}: ${e.action}`}>
                  {e.sequence}
                </Link>
              ),
            },
            { label: "Time", value: (e) => e.occurred_at, cell: (e) => <Time value={e.occurred_at} /> },
            {
              label: "Actor",
              value: (e) => `${e.actor_name} (${e.actor_kind})`,
              cell: (e) => (
                <>
                  {e.actor_name} <span className="small muted">({e.actor_kind})</span>
                </>
              ),
            },
            { label: "Action", value: (e) => e.action, cell: (e) => <code>{e.action}</code> },
            {
              label: "Subject",
              value: (e) => `${e.subject_type} ${e.subject_name || e.subject_id}`,
              cell: (e) => <SubjectLink type={e.subject_type} id={e.subject_id} name={e.subject_name} showType />,
            },
            {
              label: "Correlation id",
              value: (e) => e.correlation_id,
              cell: (e) => (
                <button
                  type="button"
                  className="linklike"
                  onClick={() => {
                    setDraft({ ...draft, correlation_id: e.correlation_id });
                    setFilters({ ...values, correlation_id: e.correlation_id });
                  }}
                  title="Show every event of this request"
                >
                  <code>{e.correlation_id.slice(0, 8)}</code>
                  <span className="sr-only"> (filter by correlation id {e.correlation_id})</span>
                </button>
              ),
            },
          ]}
        />
        <Pager
          label="Ledger"
          count={rows.length}
          busy={events.isFetching}
          hasPrevious={!!events.data?.previous}
          hasNext={!!events.data?.next}
          onPrevious={() => setCursor(cursorOf(events.data?.previous))}
          pageSize={pageSizeOf(values.page_size)}
          onPageSize={(n) => setFilters({ ...values, page_size: String(n) })}
          onNext={() => setCursor(cursorOf(events.data?.next))}
        />
      </DataState>
    </Page>
  );
}
