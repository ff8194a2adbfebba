import { Link } from "react-router";
import type { Notification } from "../api/client";
import { eventWords, notificationDetail, notificationSubject, relativeTime } from "../lib/notifications";
import { Time } from "./Time";

/** A notification's subject, by name, linked to its screen when it has one. */
export function NotificationSubject({ n, onNavigate }: { n: Notification; onNavigate?: () => void }) {
  const subject = notificationSubject(n);
  return subject.to ? (
    <Link to={subject.to} onClick={onNavigate}>
      {subject.label}
    </Link>
  ) : (
    <>{subject.label}</>
  );
}

export function NotificationTime({ iso }: { iso: string | undefined }) {
  if (!iso) return <>—</>;
  return (
    <Time value={iso}>
      {relativeTime(iso)}
    </Time>
  );
}

/** One line of the bell's panel: what happened, to what, when. */
export function NotificationItem({ n, isNew, onNavigate }: { n: Notification; isNew: boolean; onNavigate?: () => void }) {
  const detail = notificationDetail(n);
  return (
    <li className={`notification-item${isNew ? " is-new" : ""}`}>
      <p>
        <strong>{eventWords(n.event)}</strong>
        {isNew ? <span className="sr-only"> (new)</span> : null}: <NotificationSubject n={n} onNavigate={onNavigate} />
      </p>
      <p className="small muted">
        {detail ? `${detail} · ` : ""}
        <NotificationTime iso={n.created_at} />
      </p>
    </li>
  );
}
