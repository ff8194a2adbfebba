import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, cursorOf, type Notification, type NotificationQuery } from "../api/client";
import { reads } from "../api/reads";
import { useUser } from "../auth/session";
import { DataState } from "../components/DataState";
import { NotificationSubject, NotificationTime } from "../components/NotificationItem";
import { Page } from "../components/Page";
import { Pager } from "../components/Pager";
import { ProblemAlert } from "../components/ProblemAlert";
import { Table } from "../components/Table";
import { stringList } from "../lib/format";
import { eventWords, notificationDetail, relativeTime } from "../lib/notifications";
import { hasRole } from "../lib/permissions";
import { useUrlState } from "../lib/useUrlState";

const KEYS = ["event", "unread"] as const;

const EVENTS = [
  "cab_request.opened",
  "cab.decision_made",
  "breakglass.used",
  "exception.expiring",
  "exception.expired",
  "rollout.halted",
  "rollout.awaiting_judgment",
  "rollout.rollback_started",
  "rollout.failed",
  "rollout.rolled_back",
  "drift.escalated",
  "drift.stuck",
  "drift.cab_review",
];

/** The notifications addressed to me (every notification for Platform Admins and Auditors). */
export function Notifications() {
  const user = useUser();
  const everyone = hasRole(user, "platform_admin", "auditor");
  const queryClient = useQueryClient();
  const { values, cursor, setFilters, setCursor } = useUrlState(KEYS);
  const query: NotificationQuery = {
    event: values.event || undefined,
    unread: values.unread === "true" ? "true" : undefined,
    cursor: cursor || undefined,
  };
  const list = useQuery({
    queryKey: ["notifications", query],
    queryFn: () => api.notifications.list(query),
    placeholderData: keepPreviousData,
  });
  const unread = useQuery({ queryKey: ["notifications", "unread-count"], queryFn: reads.notifications.unreadCount });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["notifications"] });
  const markOne = useMutation({ mutationFn: (n: Notification) => reads.notifications.markRead(n.id), onSuccess: refresh });
  const markAll = useMutation({ mutationFn: reads.notifications.markAllRead, onSuccess: refresh });
  const rows = list.data?.results ?? [];
  const unreadCount = unread.data?.unread ?? 0;
  return (
    <Page
      title="Notifications"
      subtitle={everyone ? "Every notification Fleetgate sent, newest first." : "What Fleetgate told you about, newest first."}
    >
      {markOne.error || markAll.error ? (
        <ProblemAlert
          error={markOne.error ?? markAll.error}
          title="Not marked read"
          retryLabel="Dismiss"
          onRetry={() => {
            markOne.reset();
            markAll.reset();
          }}
        />
      ) : null}
      <p role="status" data-testid="unread-count">
        {unreadCount === 0 ? "You have read every notification." : `${unreadCount} unread.`}{" "}
        {unreadCount > 0 ? (
          <button type="button" className="btn" disabled={markAll.isPending} onClick={() => markAll.mutate()}>
            Mark all as read
          </button>
        ) : null}
      </p>
      <div className="filters row">
        <div className="field">
          <label htmlFor="notification-event">Event</label>
          <select id="notification-event" value={values.event} onChange={(e) => setFilters({ ...values, event: e.target.value })}>
            <option value="">Every event</option>
            {EVENTS.map((e) => (
              <option key={e} value={e}>
                {eventWords(e)}
              </option>
            ))}
          </select>
        </div>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={values.unread === "true"}
            onChange={(e) => setFilters({ ...values, unread: e.target.checked ? "true" : "" })}
          />{" "}
          Only unread
        </label>
      </div>
      <DataState
        query={list}
        label="notifications"
        isEmpty={rows.length === 0}
        empty={
          values.unread === "true"
            ? "Nothing unread here."
            : values.event
              ? "No notifications of this event."
              : "No notifications for you yet."
        }
      >
        <Table
          caption="Notifications"
          columns={[
            {
              label: "What happened",
              rowHeader: true,
              cell: (n: Notification) => (
                <>
                  {eventWords(n.event)}
                  {n.read ? null : (
                    <>
                      {" "}
                      <span className="badge tone-info" data-badge="unread">
                        Unread
                      </span>
                    </>
                  )}
                </>
              ),
            },
            { label: "About", cell: (n) => <NotificationSubject n={n} /> },
            { label: "Details", cell: (n) => notificationDetail(n) || "—" },
            ...(everyone
              ? [{ label: "Addressed to", cell: (n: Notification) => stringList(n.recipients).join(", ") || "Nobody" }]
              : []),
            { label: "When", cell: (n) => <NotificationTime iso={n.created_at} /> },
            {
              label: "Read",
              cell: (n) =>
                n.read ? (
                  "Read"
                ) : (
                  <button
                    type="button"
                    className="btn"
                    disabled={markOne.isPending}
                    onClick={() => markOne.mutate(n)}
                    aria-label={`Mark read: ${eventWords(n.event)}, ${relativeTime(n.created_at)}`}
                  >
                    Mark read
                  </button>
                ),
            },
          ]}
          rows={rows}
          rowKey={(n) => String(n.id)}
          rowData={(n) => ({ "data-event": n.event })}
        />
        <Pager
          label="Notifications"
          count={rows.length}
          busy={list.isFetching}
          hasPrevious={!!list.data?.previous}
          hasNext={!!list.data?.next}
          onPrevious={() => setCursor(cursorOf(list.data?.previous))}
          onNext={() => setCursor(cursorOf(list.data?.next))}
        />
      </DataState>
    </Page>
  );
}
