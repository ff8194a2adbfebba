import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link } from "react-router";
import { api, type WebhookTarget, type WebhookTargetCreated } from "../api/client";
import { useUser } from "../auth/session";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { DataState } from "../components/DataState";
import { Icon } from "../components/Icon";
import { LookBadge } from "../components/LookBadge";
import { Page } from "../components/Page";
import { ProblemAlert } from "../components/ProblemAlert";
import { Table } from "../components/Table";
import { WebhookForm } from "../components/WebhookForm";
import { reads } from "../api/reads";
import { TARGET_LOOK, canManageWebhooks, canViewWebhooks, relativeTime, targetEventsWords } from "../lib/notifications";
import { NotAllowed } from "./NotFound";
import { Time } from "../components/Time";

function SecretShownOnce({ target, onDismiss }: { target: WebhookTargetCreated; onDismiss: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div ref={ref} className="alert alert-warning token-once" role="alert" tabIndex={-1}>
      <p className="alert-title">
        <Icon name="alert" /> <strong>Webhook “{target.name}” added. Copy its signing secret now: it is shown only once.</strong>
      </p>
      <p>The receiver checks the X-Fleetgate-Signature header of each delivery with it.</p>
      <p>
        <code className="secret" data-testid="webhook-secret">
          {target.secret}
        </code>
      </p>
      <div className="form-actions">
        <button type="button" className="btn btn-primary" onClick={onDismiss}>
          I have stored it
        </button>
      </div>
    </div>
  );
}

export function Webhooks() {
  const user = useUser();
  const queryClient = useQueryClient();
  const list = useQuery({ queryKey: ["webhooks"], queryFn: api.webhooks.list, enabled: canViewWebhooks(user) });
  const [created, setCreated] = useState<WebhookTargetCreated | null>(null);
  const [pausing, setPausing] = useState<WebhookTarget | null>(null);
  const [changed, setChanged] = useState("");
  const [editing, setEditing] = useState<WebhookTarget | null>(null);
  const [tested, setTested] = useState<WebhookTarget | null>(null);
  const sendTest = useMutation({
    mutationFn: (target: WebhookTarget) => reads.webhooks.sendTest(target.id),
    onMutate: () => setTested(null),
    onSuccess: (_delivery, target) => {
      setChanged("");
      setTested(target);
      void queryClient.invalidateQueries({ queryKey: ["webhooks", target.id, "deliveries"] });
    },
  });
  const activation = useMutation({
    mutationFn: ({ target, active }: { target: WebhookTarget; active: boolean }) =>
      api.webhooks.setActive(target.id, active),
    onSuccess: (target) => {
      setPausing(null);
      setChanged(target.active ? `“${target.name}” receives events again.` : `“${target.name}” is paused: it receives no events.`);
      void queryClient.invalidateQueries({ queryKey: ["webhooks"] });
    },
    onError: () => setPausing(null),
  });
  if (!canViewWebhooks(user)) return <NotAllowed need="Platform Admin or Auditor" />;
  const manage = canManageWebhooks(user);
  const rows = list.data ?? [];
  return (
    <Page title="Webhooks" subtitle="Where Fleetgate sends signed event notifications, and how each delivery went.">
      {created ? <SecretShownOnce target={created} onDismiss={() => setCreated(null)} /> : null}
      {changed ? (
        <p className="alert alert-success" role="status">
          {changed}
        </p>
      ) : null}
      {tested ? (
        <p className="alert alert-success" role="status">
          A signed test delivery to “{tested.name}” is on its way.{" "}
          <Link to={`/webhooks/${tested.id}`}>See how it went in its delivery log</Link>.
        </p>
      ) : null}
      {sendTest.error ? <ProblemAlert error={sendTest.error} retryLabel="Dismiss" onRetry={() => sendTest.reset()} /> : null}
      {activation.error ? (
        <ProblemAlert error={activation.error} retryLabel="Dismiss" onRetry={() => activation.reset()} />
      ) : null}
      <DataState query={list} label="webhooks" isEmpty={rows.length === 0} empty="No webhooks yet.">
        <Table
          caption="Webhooks"
          columns={[
            {
              label: "Name",
              rowHeader: true,
              cell: (t: WebhookTarget) => <Link to={`/webhooks/${t.id}`}>{t.name}</Link>,
            },
            { label: "URL", cell: (t) => <code className="digest">{t.url}</code> },
            { label: "Events", cell: (t) => targetEventsWords(t.events) },
            { label: "State", cell: (t) => <LookBadge table={TARGET_LOOK} value={String(t.active ?? true)} /> },
            {
              label: "Added",
              cell: (t) => (
                <Time value={t.created_at}>
                  {relativeTime(t.created_at)} by {t.created_by}
                </Time>
              ),
            },
            {
              label: "Actions",
              cell: (t) => (
                <div className="row-actions">
                  <Link to={`/webhooks/${t.id}`}>Delivery log</Link>
                  {manage ? (
                    <>
                      <button type="button" className="btn" onClick={() => setEditing(t)} aria-label={`Edit ${t.name}`}>
                        Edit
                      </button>
                      <button
                        type="button"
                        className="btn"
                        disabled={sendTest.isPending}
                        onClick={() => sendTest.mutate(t)}
                        aria-label={`Send test to ${t.name}`}
                      >
                        Send test
                      </button>
                    </>
                  ) : null}
                  {manage ? (
                    t.active ? (
                      <button type="button" className="btn" onClick={() => setPausing(t)} aria-label={`Pause ${t.name}…`}>
                        Pause…
                      </button>
                    ) : (
                      <button
                        type="button"
                        className="btn"
                        disabled={activation.isPending}
                        onClick={() => activation.mutate({ target: t, active: true })}
                        aria-label={`Resume ${t.name}`}
                      >
                        Resume
                      </button>
                    )
                  ) : null}
                </div>
              ),
            },
          ]}
          rows={rows}
          rowKey={(t) => String(t.id)}
          rowData={(t) => ({ "data-webhook": t.name })}
        />
      </DataState>
      {manage && editing ? (
        <WebhookForm
          key={editing.id}
          target={editing}
          onCancel={() => setEditing(null)}
          onSaved={(t) => {
            setEditing(null);
            setCreated(null);
            setChanged(`“${t.name}” saved: it now listens to ${targetEventsWords(t.events).toLowerCase()} at ${t.url}.`);
            void queryClient.invalidateQueries({ queryKey: ["webhooks"] });
          }}
        />
      ) : manage ? (
        <WebhookForm
          onCreated={(t) => {
            setChanged("");
            setCreated(t);
            void queryClient.invalidateQueries({ queryKey: ["webhooks"] });
          }}
        />
      ) : null}
      <ConfirmDialog
        open={pausing !== null}
        title={`Pause “${pausing?.name ?? ""}”?`}
        confirmLabel="Pause webhook"
        danger
        busy={activation.isPending}
        onClose={() => setPausing(null)}
        onConfirm={() => pausing && activation.mutate({ target: pausing, active: false })}
      >
        <p>While paused it receives no events; events that happen meanwhile are not sent to it later.</p>
      </ConfirmDialog>
    </Page>
  );
}
