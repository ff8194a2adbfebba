import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { api } from "../api/client";
import { DataState } from "../components/DataState";
import { Page } from "../components/Page";
import { type ChangeKind, diff, showValue } from "../lib/diff";
import { formatDateTime, stringList } from "../lib/format";

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
              <dd>{formatDateTime(e.occurred_at)}</dd>
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
                {e.subject_type === "intent" ? <Link to={`/intents/${e.subject_id}`}>intent {e.subject_id}</Link> : `${e.subject_type} ${e.subject_id}`}
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
                <div className="table-wrap">
                  <table className="table diff">
                    <caption className="sr-only">Fields that changed in this event</caption>
                    <thead>
                      <tr>
                        <th scope="col">Field</th>
                        <th scope="col">Change</th>
                        <th scope="col">Before</th>
                        <th scope="col">After</th>
                      </tr>
                    </thead>
                    <tbody>
                      {changed.map((r) => (
                        <tr key={r.path} className={`diff-${r.kind}`}>
                          <th scope="row">
                            <code>{r.path}</code>
                          </th>
                          <td>{KIND_LABEL[r.kind]}</td>
                          <td className="diff-before">{r.kind === "added" ? <span className="muted">(none)</span> : <code>{showValue(r.before)}</code>}</td>
                          <td className="diff-after">{r.kind === "removed" ? <span className="muted">(none)</span> : <code>{showValue(r.after)}</code>}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                {unchanged.length ? (
                  <details>
                    <summary>Show {unchanged.length} unchanged fields</summary>
                    <table className="table">
                      <caption className="sr-only">Fields that did not change</caption>
                      <thead>
                        <tr>
                          <th scope="col">Field</th>
                          <th scope="col">Value</th>
                        </tr>
                      </thead>
                      <tbody>
                        {unchanged.map((r) => (
                          <tr key={r.path}>
                            <th scope="row">
                              <code>{r.path}</code>
                            </th>
                            <td>
                              <code>{showValue(r.after)}</code>
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
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
