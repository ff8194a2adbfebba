import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { api, cursorOf, type ExceptionQuery, type PolicyException } from "../api/client";
import { useUser } from "../auth/session";
import { BreakGlassPanel } from "../components/BreakGlassPanel";
import { DataState } from "../components/DataState";
import { ExceptionCoverage } from "../components/ExceptionCoverage";
import { type ExceptionAction, ExceptionDecisionDialog } from "../components/ExceptionDecisionDialog";
import { EXCEPTION_KINDS, ExceptionRequestForm } from "../components/ExceptionRequestForm";
import { Badge } from "../components/Governance";
import { LookBadge } from "../components/LookBadge";
import { Page } from "../components/Page";
import { Pager } from "../components/Pager";
import { type Column, Table } from "../components/Table";
import { humanize } from "../lib/format";
import { EXCEPTION_STATE, daysUntil, expiringSoon } from "../lib/governance";
import { hasRole } from "../lib/permissions";
import { useUrlState } from "../lib/useUrlState";
import { Time } from "../components/Time";

const KEYS = ["state", "kind"] as const;
/** Scope and gate-override exceptions also need CAB quorum; the server counts each capacity. */
const CAB_KINDS = new Set<string>(["scope", "gate_override"]);

function Expiry({ row }: { row: PolicyException }) {
  const days = daysUntil(row.expires_at);
  if (expiringSoon(row.state, row.expires_at)) {
    return (
      <>
        <Time value={row.expires_at} />{" "}
        <Badge tone="warning" icon="alert" label={`Expires soon: in ${days} day${days === 1 ? "" : "s"}`} data="expiring-soon" />
      </>
    );
  }
  return (
    <>
      <Time value={row.expires_at} />
      {days !== null && days >= 0 ? <span className="small muted"> (in {days} days)</span> : null}
    </>
  );
}

export function Exceptions() {
  const user = useUser();
  const queryClient = useQueryClient();
  const { values, cursor, setFilters, setCursor } = useUrlState(KEYS);
  const query: ExceptionQuery = {
    state: (values.state || undefined) as ExceptionQuery["state"],
    kind: (values.kind || undefined) as ExceptionQuery["kind"],
    cursor: cursor || undefined,
    page_size: 50,
  };
  const list = useQuery({
    queryKey: ["exceptions", query],
    queryFn: () => api.exceptions.list(query),
    placeholderData: keepPreviousData,
  });
  const rows = list.data?.results ?? [];
  const [action, setAction] = useState<ExceptionAction | null>(null);
  const [notice, setNotice] = useState("");
  const noticeRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (notice) noticeRef.current?.focus();
  }, [notice]);
  const isSecurity = hasRole(user, "security_reviewer");
  const isCab = hasRole(user, "cab_approver");
  const mayRequest = hasRole(user, "packaging_engineer", "publisher");

  const columns: Column<PolicyException>[] = [
    {
      label: "Exception",
      rowHeader: true,
      cell: (x) => (
        <>
          <strong>{humanize(x.kind)}</strong>: {x.subject || "—"}
          <div className="small muted">
            requested by {x.requested_by} <Time value={x.created_at} />
          </div>
        </>
      ),
    },
    { label: "Covers", cell: (x) => <ExceptionCoverage row={x} /> },
    {
      label: "State",
      cell: (x) => (
        <>
          <LookBadge table={EXCEPTION_STATE} value={x.state} />
          {x.approvals.length ? (
            <div className="small">{x.approvals.map((a) => `${a.approver} (${humanize(a.capacity)})`).join(", ")}</div>
          ) : null}
        </>
      ),
    },
    {
      label: "Justification and controls",
      cell: (x) => (
        <>
          {x.justification}
          <div className="small">Controls: {x.compensating_controls}</div>
        </>
      ),
    },
    { label: "Owner", cell: (x) => x.owner },
    { label: "Expires", cell: (x) => <Expiry row={x} /> },
    {
      label: "Actions",
      cell: (x) =>
        (isSecurity || (isCab && CAB_KINDS.has(x.kind))) && x.state === "requested" ? (
          <>
            <button type="button" className="btn btn-primary" onClick={() => setAction({ kind: "approve", row: x })}>
              Approve {x.subject}…
            </button>{" "}
            <button type="button" className="btn btn-danger" onClick={() => setAction({ kind: "reject", row: x })}>
              Reject {x.subject}…
            </button>
          </>
        ) : isSecurity && x.state === "approved" ? (
          <button type="button" className="btn" onClick={() => setAction({ kind: "extend", row: x })}>
            Extend {x.subject}…
          </button>
        ) : (
          "—"
        ),
    },
  ];

  return (
    <Page title="Exceptions" subtitle="Time-boxed, owned exceptions to policy, approved by a Security Reviewer.">
      {notice ? (
        <p ref={noticeRef} className="alert alert-success" role="status" tabIndex={-1}>
          {notice}
        </p>
      ) : null}
      <form
        className="filters"
        role="search"
        aria-label="Filter exceptions"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          setFilters({ state: String(f.get("state") ?? ""), kind: String(f.get("kind") ?? "") });
        }}
      >
        <div className="field">
          <label htmlFor="exc-state">State</label>
          <select id="exc-state" name="state" defaultValue={values.state}>
            <option value="">Any</option>
            {Object.entries(EXCEPTION_STATE).map(([k, v]) => (
              <option key={k} value={k}>
                {v.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="exc-kind">Type</label>
          <select id="exc-kind" name="kind" defaultValue={values.kind}>
            <option value="">Any</option>
            {EXCEPTION_KINDS.map((k) => (
              <option key={k} value={k}>
                {humanize(k)}
              </option>
            ))}
          </select>
        </div>
        <div className="filter-actions">
          <button type="submit" className="btn btn-primary">
            Apply filters
          </button>
        </div>
      </form>
      <DataState query={list} label="exceptions" isEmpty={rows.length === 0 && !cursor} empty="No exception matches these filters.">
        <Table caption="Exceptions" columns={columns} rows={rows} rowKey={(x) => x.id} rowData={(x) => ({ "data-exception": x.subject })} />
        <Pager
          label="Exceptions"
          count={rows.length}
          busy={list.isFetching}
          hasPrevious={!!list.data?.previous}
          hasNext={!!list.data?.next}
          onPrevious={() => setCursor(cursorOf(list.data?.previous))}
          onNext={() => setCursor(cursorOf(list.data?.next))}
        />
      </DataState>
      {mayRequest ? (
        <ExceptionRequestForm
          onDone={(row) => {
            setNotice(`Exception for ${row.subject} requested; a Security Reviewer decides.`);
            void queryClient.invalidateQueries({ queryKey: ["exceptions"] });
          }}
        />
      ) : null}
      <BreakGlassPanel />
      <ExceptionDecisionDialog
        action={action}
        onClose={() => setAction(null)}
        onDone={(row, kind) => {
          setAction(null);
          setNotice(
            `${kind === "approve" ? "Approved" : kind === "reject" ? "Rejected" : "Extended"} the ${humanize(row.kind).toLowerCase()} exception for ${row.subject}. It is now ${EXCEPTION_STATE[row.state ?? ""]?.label ?? row.state}.`,
          );
          void queryClient.invalidateQueries({ queryKey: ["exceptions"] });
        }}
      />
    </Page>
  );
}
