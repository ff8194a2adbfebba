import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { Link, useLocation } from "react-router";
import { api } from "../api/client";
import { reads } from "../api/reads";
import { NotificationItem } from "./NotificationItem";
import { ProblemAlert } from "./ProblemAlert";

const SHOWN = 5;

/** The header bell: how many notifications I have not read (the server keeps it per person), the latest few in a panel. */
export function NotificationBell() {
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const button = useRef<HTMLButtonElement>(null);
  const wrap = useRef<HTMLDivElement>(null);
  const location = useLocation();
  const queryClient = useQueryClient();
  const unread = useQuery({
    queryKey: ["notifications", "unread-count"],
    queryFn: reads.notifications.unreadCount,
    refetchInterval: 60_000,
  });
  const latest = useQuery({
    queryKey: ["notifications", "bell"],
    queryFn: () => api.notifications.list({ page_size: SHOWN }),
    enabled: open,
  });
  const markAll = useMutation({
    mutationFn: reads.notifications.markAllRead,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["notifications"] }),
  });
  const rows = latest.data?.results ?? [];
  const fresh = unread.data?.unread ?? 0;
  const countText = fresh === 0 ? "" : fresh > 99 ? "99+" : String(fresh);
  const label = `Notifications${fresh ? `: ${countText} unread` : ""}`;

  useEffect(() => setOpen(false), [location.pathname]);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        setOpen(false);
        button.current?.focus();
      }
    };
    const onDown = (e: MouseEvent) => {
      if (wrap.current && !wrap.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("mousedown", onDown);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("mousedown", onDown);
    };
  }, [open]);

  return (
    <div className="bell" ref={wrap}>
      <button
        ref={button}
        type="button"
        className="btn btn-ghost bell-button"
        aria-expanded={open}
        aria-controls={panelId}
        aria-label={label}
        onClick={() => setOpen(!open)}
      >
        <svg className="icon" viewBox="0 0 20 20" width="18" height="18" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round">
          <path d="M5 14V9a5 5 0 0 1 10 0v5l1.5 2h-13zM8.5 18h3" />
        </svg>
        {countText ? (
          <span className="bell-count" aria-hidden="true" data-testid="bell-count">
            {countText}
          </span>
        ) : null}
      </button>
      <div id={panelId} className="bell-panel" hidden={!open} role="region" aria-label="Latest notifications">
        {open ? (
          <>
            <h2 className="bell-heading">Notifications</h2>
            {latest.isPending ? (
              <p className="loading" role="status">
                <span className="spinner" aria-hidden="true" /> Loading notifications…
              </p>
            ) : latest.isError ? (
              <ProblemAlert error={latest.error} title="Could not load your notifications" onRetry={() => void latest.refetch()} />
            ) : rows.length === 0 ? (
              <p className="empty">Nothing for you yet.</p>
            ) : (
              <ul className="notification-list">
                {rows.map((n) => (
                  <NotificationItem key={n.id} n={n} isNew={!n.read} />
                ))}
              </ul>
            )}
            {fresh > 0 ? (
              <p>
                <button type="button" className="linklike" disabled={markAll.isPending} onClick={() => markAll.mutate()}>
                  Mark all {fresh} as read
                </button>
              </p>
            ) : null}
            {markAll.error ? <ProblemAlert error={markAll.error} title="Could not mark them read" onRetry={() => markAll.mutate()} /> : null}
            <p>
              <Link to="/notifications">See all notifications</Link>
            </p>
          </>
        ) : null}
      </div>
    </div>
  );
}
