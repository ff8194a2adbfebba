import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { api, type WebhookDelivery } from "../api/client";
import { reads } from "../api/reads";
import { ProblemAlert } from "../components/ProblemAlert";
import { useUser } from "../auth/session";
import { DataState } from "../components/DataState";
import { LookBadge } from "../components/LookBadge";
import { Page } from "../components/Page";
import { Table } from "../components/Table";
import {
  DELIVERY_LOOK,
  TARGET_LOOK,
  canManageWebhooks,
  canViewWebhooks,
  deliveryStatusWords,
  eventWords,
  relativeTime,
  responseWords,
  targetEventsWords,
} from "../lib/notifications";
import { NotAllowed, NotFound } from "./NotFound";
import { Time } from "../components/Time";

function When({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <>—</>;
  return (
    <Time value={iso}>
      {relativeTime(iso)}
    </Time>
  );
}

/** One webhook: what it listens to and its delivery log (newest first, at most 200). */
export function WebhookDeliveries() {
  const user = useUser();
  const { id = "" } = useParams();
  const targetId = Number(id);
  const allowed = canViewWebhooks(user);
  const targets = useQuery({ queryKey: ["webhooks"], queryFn: api.webhooks.list, enabled: allowed });
  const deliveries = useQuery({
    queryKey: ["webhooks", targetId, "deliveries"],
    queryFn: () => api.webhooks.deliveries(targetId),
    enabled: allowed && Number.isInteger(targetId),
    // Deliveries are attempted in the background: keep the log current while it is open.
    refetchInterval: 5_000,
  });
  const queryClient = useQueryClient();
  const sendTest = useMutation({
    mutationFn: () => reads.webhooks.sendTest(targetId),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["webhooks", targetId, "deliveries"] }),
  });
  if (!allowed) return <NotAllowed need="Platform Admin or Auditor" />;
  if (!Number.isInteger(targetId)) return <NotFound />;
  const target = targets.data?.find((t) => t.id === targetId);
  if (targets.isSuccess && !target) return <NotFound />;
  const rows = deliveries.data ?? [];
  return (
    <Page
      title={target ? `Webhook “${target.name}”` : "Webhook"}
      subtitle={
        <>
          <Link to="/webhooks">All webhooks</Link>
        </>
      }
    >
      <DataState query={targets} label="the webhook">
        {target ? (
          <dl className="facts">
            <dt>URL</dt>
            <dd>
              <code className="digest">{target.url}</code>
            </dd>
            <dt>Events</dt>
            <dd>{targetEventsWords(target.events)}</dd>
            <dt>State</dt>
            <dd>
              <LookBadge table={TARGET_LOOK} value={String(target.active ?? true)} />
            </dd>
            <dt>Added</dt>
            <dd>
              <When iso={target.created_at} /> by {target.created_by}
            </dd>
          </dl>
        ) : null}
      </DataState>
      {target && canManageWebhooks(user) ? (
        <div className="form-actions">
          <button type="button" className="btn" disabled={sendTest.isPending} onClick={() => sendTest.mutate()}>
            {sendTest.isPending ? "Sending…" : "Send a test delivery"}
          </button>
        </div>
      ) : null}
      {sendTest.isSuccess ? (
        <p className="alert alert-success" role="status">
          A signed test delivery is queued; it appears in the log below and its outcome follows as it is attempted.
        </p>
      ) : null}
      {sendTest.error ? <ProblemAlert error={sendTest.error} retryLabel="Dismiss" onRetry={() => sendTest.reset()} /> : null}
      <h2>Delivery log</h2>
      <DataState
        query={deliveries}
        label="deliveries"
        isEmpty={rows.length === 0}
        empty="No deliveries yet: one is made each time an event this webhook listens to happens."
      >
        <Table
          caption="Deliveries"
          columns={[
            {
              label: "Event",
              rowHeader: true,
              cell: (d: WebhookDelivery) => eventWords(d.event),
            },
            { label: "Status", cell: (d) => <LookBadge table={DELIVERY_LOOK} value={d.status ?? "pending"} /> },
            { label: "Outcome", cell: (d) => deliveryStatusWords(d) },
            { label: "Attempts", cell: (d) => String(d.attempts ?? 0) },
            { label: "Receiver's answer", cell: (d) => responseWords(d.response_code, d.last_error) },
            { label: "Last attempt", cell: (d) => <When iso={d.last_attempt_at} /> },
            { label: "Created", cell: (d) => <When iso={d.created_at} /> },
          ]}
          rows={rows}
          rowKey={(d) => String(d.id)}
          rowData={(d) => ({ "data-status": d.status ?? "pending" })}
        />
      </DataState>
    </Page>
  );
}
