import { useCallback, useSyncExternalStore } from "react";
import { lastSeen, markSeen } from "./notifications";

/**
 * When this person last looked at their notifications, in this browser (the API keeps no read
 * state). `see(iso)` moves it forward; every bell and list on the page follows.
 */
const EVENT = "fleetgate:notifications-seen";

function subscribe(listener: () => void): () => void {
  window.addEventListener(EVENT, listener);
  window.addEventListener("storage", listener);
  return () => {
    window.removeEventListener(EVENT, listener);
    window.removeEventListener("storage", listener);
  };
}

export function useNotificationsSeen(username: string): { seen: string; see: (iso: string | undefined) => void } {
  const seen = useSyncExternalStore(subscribe, () => lastSeen(username), () => "");
  const see = useCallback(
    (iso: string | undefined) => {
      if (!iso) return;
      const current = lastSeen(username);
      if (current && new Date(current).getTime() >= new Date(iso).getTime()) return;
      markSeen(username, iso);
      window.dispatchEvent(new Event(EVENT));
    },
    [username],
  );
  return { seen, see };
}
