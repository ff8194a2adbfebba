import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { api } from "../api/client";
import { DataState } from "../components/DataState";
import { Page } from "../components/Page";
import { SubjectLink } from "../components/SubjectLink";
import { type ChangeKind, diff, showValue } from "../lib/diff";
import { stringList } from "../lib/format";
import { Table } from "../components/Table";
import { Time } from "../components/Time";

const KIND_LABEL: Record<ChangeKind, string> = {
  added: "+ added",
  removed: "− removed",
  changed: "~ changed",
  unchanged: "unchanged",
};

export function LedgerEvent() {
  const { sequence = "" } = useParams();
  const q = useQuery({ queryKey: ["ledger-event", sequence], queryFn: () => api.ledger.get(sequence) });
  const e = q.data;
  const rows = e ? diff(e.before, e.after) : [];
  const changed = rows.filter((r) => r.kind !== "unchanged");
  const unchanged = rows.filter((r) => r.kind === "unchanged");
  return (
    <Page title={e ? `Event #${e.sequence}: ${e.action}` : `Event #${sequence}`}>
      <p>
        <Link to="/ledger">← Ledger</Link>
      </p>
      <DataState query={q} label="the event">
        {e ? (
          <>
            <dl className="facts">
              <dt>Time</dt>
              <dd><Time value={e.occurred_at} /></dd>
              <dt>Actor</dt>
              <dd>
                {e.actor_name} ({e.actor_kind} {e.actor_id}){stringList(e.actor_roles).length ? ` · ${stringList(e.actor_roles).join(", ")}` : ""}
              </dd>
              <dt>Action</dt>
              <dd>
                <code>{e.action}</code>
                {e.severity ? ` · severity ${e.severity}` : ""}
              </dd>
              <dt>Subject</dt>
              <dd>
                <SubjectLink type={e.subject_type} id={e.subject_id} name={e.subject_name} showType />{" "}
                <span className="small muted">
                  ({e.subject_type} <code>{e.subject_id}</code>)
                </span>
              </dd>
              <dt>Reason</dt>
              <dd>{e.reason || "—"}</dd>
              <dt>Correlation id</dt>
              <dd>
                <Link to={`/ledger?correlation_id=${encodeURIComponent(e.correlation_id)}`}>
                  <code>{e.correlation_id}</code>
                </Link>
              </dd>
              <dt>Previous hash</dt>
              <dd>
                <code className="digest">{e.prev_hash}</code>
              </dd>
              <dt>Hash</dt>
              <dd>
                <code className="digest">{e.hash}</code>
              </dd>
            </dl>
            <h2>Before and after</h2>
            {rows.length === 0 ? (
              <p className="empty">This event carries no before/after state.</p>
            ) : (
              <>
                <p className="muted">
                  {changed.length} changed {changed.length === 1 ? "field" : "fields"}, {unchanged.length} unchanged.
                </p>
                <Table
                  caption="Fields that changed in this event"
                  id="ledger-event-changes"
                  rows={changed}
                  rowKey={(r) => r.path}
                  rowProps={(r) => ({ className: `diff-${r.kind}` })}
                  columns={[
                    { label: "Field", rowHeader: true, value: (r) => r.path, cell: (r) => <code>{r.path}</code> },
                    { label: "Change", cell: (r) => KIND_LABEL[r.kind] },
                    {
                      label: "Before",
                      className: "diff-before",
                      value: (r) => (r.kind === "added" ? "" : showValue(r.before)),
                      cell: (r) => (r.kind === "added" ? <span className="muted">(none)</span> : <code>{showValue(r.before)}</code>),
                    },
                    {
                      label: "After",
                      className: "diff-after",
                      value: (r) => (r.kind === "removed" ? "" : showValue(r.after)),
                      cell: (r) => (r.kind === "removed" ? <span className="muted">(none)</span> : <code>{showValue(r.after)}</code>),
                    },
                  ]}
                />
                {unchanged.length ? (
                  <details>
                    <summary>Show {unchanged.length} unchanged fields</summary>
                    <Table
                      caption="Fields that did not change"
                      id="ledger-event-unchanged"
                      rows={unchanged}
                      rowKey={(r) => r.path}
                      columns={[
                        { label: "Field", rowHeader: true, value: (r) => r.path, cell: (r) => <code>{r.path}</code> },
                        { label: "Value", value: (r) => showValue(r.after), cell: (r) => <code>{showValue(r.after)}</code> },
                      ]}
                    />
                  </details>
                ) : null}
              </>
            )}
          </>
        ) : null}
      </DataState>
    </Page>
  );
}
