import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { KIND_LABELS, type SiemDestination, siem, streamWords } from "../api/siem";
import { useUser } from "../auth/session";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { DataState } from "../components/DataState";
import { Page } from "../components/Page";
import { ProblemAlert } from "../components/ProblemAlert";
import { SiemDestinationEditForm } from "../components/SiemDestinationEditForm";
import { SiemDestinationForm } from "../components/SiemDestinationForm";
import { Table } from "../components/Table";
import { Time } from "../components/Time";
import { hasRole, isPlatformAdmin } from "../lib/permissions";
import { relativeTime } from "../lib/notifications";
import { NotAllowed } from "./NotFound";

/** Where the ledger is streamed, how far each receiver has acknowledged it, and what failed last. */
export function SiemDestinations() {
  const user = useUser();
  const queryClient = useQueryClient();
  const visible = hasRole(user, "platform_admin", "auditor");
  const list = useQuery({ queryKey: ["siem"], queryFn: siem.list, enabled: visible, refetchInterval: 15_000 });
  const [notice, setNotice] = useState("");
  const [removing, setRemoving] = useState<SiemDestination | null>(null);
  const [editing, setEditing] = useState<SiemDestination | null>(null);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ["siem"] });
  const activation = useMutation({
    mutationFn: ({ d, enabled }: { d: SiemDestination; enabled: boolean }) => siem.setEnabled(d.id, enabled),
    onSuccess: (d) => {
      setNotice(d.enabled ? `“${d.name}” resumes after sequence ${d.acknowledged_sequence}.` : `“${d.name}” is paused.`);
      refresh();
    },
  });
  const test = useMutation({
    mutationFn: (d: SiemDestination) => siem.test(d.id),
    onSuccess: (r) => {
      setNotice(r.ok ? `“${r.destination.name}” accepted the test event.` : `“${r.destination.name}” did not take the test event: ${r.detail}`);
      refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (d: SiemDestination) => siem.remove(d.id),
    onSuccess: () => {
      setNotice(`“${removing?.name ?? ""}” was removed; it receives nothing more.`);
      setRemoving(null);
      refresh();
    },
    onError: () => setRemoving(null),
  });
  if (!visible) return <NotAllowed need="Platform Admin or Auditor" />;
  const manage = isPlatformAdmin(user);
  const rows = list.data ?? [];
  const failed = activation.error ?? test.error ?? remove.error;
  return (
    <Page
      title="SIEM streaming"
      subtitle="Every ledger event is sent to each destination in order, at least once; receivers drop repeats by the ledger sequence."
    >
      {notice ? (
        <p className="alert alert-success" role="status">
          {notice}
        </p>
      ) : null}
      {failed ? (
        <ProblemAlert
          error={failed}
          retryLabel="Dismiss"
          onRetry={() => {
            activation.reset();
            test.reset();
            remove.reset();
          }}
        />
      ) : null}
      <DataState query={list} label="SIEM destinations" isEmpty={rows.length === 0} empty="No destinations yet: the ledger is not streamed anywhere.">
        <Table
          caption="SIEM destinations"
          columns={[
            { label: "Name", rowHeader: true, cell: (d: SiemDestination) => d.name },
            {
              label: "Receiver",
              cell: (d) => (
                <>
                  {KIND_LABELS[d.kind]} <code className="digest">{`${d.host}:${d.port}${d.path}`}</code> ({d.format.toUpperCase()})
                </>
              ),
            },
            { label: "Status", cell: (d) => streamWords(d) },
            { label: "Acknowledged", cell: (d) => `${d.acknowledged_sequence} of ${d.ledger_head}` },
            { label: "Lag", cell: (d) => String(d.lag) },
            {
              label: "Last success",
              cell: (d) => <Time value={d.last_success_at}>{d.last_success_at ? relativeTime(d.last_success_at) : "never"}</Time>,
            },
            { label: "Failures", cell: (d) => `${d.consecutive_failures} in a row, ${d.failures_total} in all` },
            { label: "Last error", cell: (d) => d.last_error || "—" },
            ...(manage
              ? [
                  {
                    label: "Actions",
                    cell: (d: SiemDestination) => (
                      <div className="row-actions">
                        <button type="button" className="btn" disabled={test.isPending} onClick={() => test.mutate(d)} aria-label={`Send test event to ${d.name}`}>
                          Send test event
                        </button>
                        <button
                          type="button"
                          className="btn"
                          disabled={activation.isPending}
                          onClick={() => activation.mutate({ d, enabled: !d.enabled })}
                          aria-label={`${d.enabled ? "Pause" : "Resume"} ${d.name}`}
                        >
                          {d.enabled ? "Pause" : "Resume"}
                        </button>
                        <button
                          type="button"
                          className="btn"
                          onClick={() => {
                            setNotice("");
                            setEditing(d);
                          }}
                          aria-label={`Edit ${d.name}…`}
                        >
                          Edit…
                        </button>
                        <button type="button" className="btn" onClick={() => setRemoving(d)} aria-label={`Remove ${d.name}…`}>
                          Remove…
                        </button>
                      </div>
                    ),
                  },
                ]
              : []),
          ]}
          rows={rows}
          rowKey={(d) => String(d.id)}
          rowData={(d) => ({ "data-siem": d.name })}
        />
      </DataState>
      {manage && editing ? (
        <SiemDestinationEditForm
          key={editing.id}
          destination={editing}
          onCancel={() => setEditing(null)}
          onSaved={(d) => {
            setEditing(null);
            setNotice(`“${d.name}” saved; the next batch uses the new settings.`);
            refresh();
          }}
        />
      ) : manage ? (
        <SiemDestinationForm
          onCreated={(d) => {
            setNotice(`“${d.name}” added: it receives the whole ledger from sequence 1.`);
            refresh();
          }}
        />
      ) : null}
      <ConfirmDialog
        open={removing !== null}
        title={`Remove “${removing?.name ?? ""}”?`}
        confirmLabel="Remove destination"
        danger
        busy={remove.isPending}
        onClose={() => setRemoving(null)}
        onConfirm={() => removing && remove.mutate(removing)}
      >
        <p>It stops receiving the ledger. Added again later, it starts from sequence 1.</p>
      </ConfirmDialog>
    </Page>
  );
}
