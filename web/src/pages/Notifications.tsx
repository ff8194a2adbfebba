import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, cursorOf, type Notification, type NotificationQuery } from "../api/client";
import { useUser } from "../auth/session";
import { DataState } from "../components/DataState";
import { NotificationSubject, NotificationTime } from "../components/NotificationItem";
import { Page } from "../components/Page";
import { Pager } from "../components/Pager";
import { Table } from "../components/Table";
import { stringList } from "../lib/format";
import { countNew, eventWords, notificationDetail } from "../lib/notifications";
import { hasRole } from "../lib/permissions";
import { useNotificationsSeen } from "../lib/useNotificationsSeen";
import { useUrlState } from "../lib/useUrlState";

const KEYS = ["event"] as const;

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
  const { seen, see } = useNotificationsSeen(user.username);
  const { values, cursor, setFilters, setCursor } = useUrlState(KEYS);
  const query: NotificationQuery = { event: values.event || undefined, cursor: cursor || undefined };
  const list = useQuery({
    queryKey: ["notifications", query],
    queryFn: () => api.notifications.list(query),
    placeholderData: keepPreviousData,
  });
  const rows = list.data?.results ?? [];
  const newest = !cursor && !values.event ? rows[0]?.created_at : undefined;
  useEffect(() => {
    if (newest && list.isSuccess && !list.isPlaceholderData) {
      const t = setTimeout(() => see(newest), 0);
      return () => clearTimeout(t);
    }
    return undefined;
  }, [newest, list.isSuccess, list.isPlaceholderData, see]);
  // The mark as it was when the page opened, so what was new stays marked while the page is open.
  const [seenAtOpen] = useState(seen);
  return (
    <Page
      title="Notifications"
      subtitle={everyone ? "Every notification Fleetgate sent, newest first." : "What Fleetgate told you about, newest first."}
    >
      <div className="filters row">
        <div className="field">
          <label htmlFor="notification-event">Event</label>
          <select id="notification-event" value={values.event} onChange={(e) => setFilters({ event: e.target.value })}>
            <option value="">Every event</option>
            {EVENTS.map((e) => (
              <option key={e} value={e}>
                {eventWords(e)}
              </option>
            ))}
          </select>
        </div>
      </div>
      <DataState
        query={list}
        label="notifications"
        isEmpty={rows.length === 0}
        empty={values.event ? "No notifications of this event." : "No notifications for you yet."}
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
                  {countNew([n], seenAtOpen) ? (
                    <>
                      {" "}
                      <span className="badge tone-info" data-badge="new">
                        New
                      </span>
                    </>
                  ) : null}
                </>
              ),
            },
            { label: "About", cell: (n) => <NotificationSubject n={n} /> },
            { label: "Details", cell: (n) => notificationDetail(n) || "—" },
            ...(everyone
              ? [{ label: "Addressed to", cell: (n: Notification) => stringList(n.recipients).join(", ") || "Nobody" }]
              : []),
            { label: "When", cell: (n) => <NotificationTime iso={n.created_at} /> },
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
