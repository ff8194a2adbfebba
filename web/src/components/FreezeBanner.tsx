import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { api } from "../api/client";
import { useUser } from "../auth/session";
import { canManageFreeze } from "../lib/rollouts";
import { Icon } from "./Icon";
import { ProblemAlert } from "./ProblemAlert";
import { ReasonDialog } from "./ReasonDialog";
import { Time } from "./Time";

/**
 * The global change freeze, on every rollout screen: while it is on no ring is assigned anywhere.
 * A Platform Admin turns it on or off with a reason; everyone else only sees its state.
 */
export function FreezeBanner() {
  const user = useUser();
  const queryClient = useQueryClient();
  const freeze = useQuery({ queryKey: ["change-freeze"], queryFn: () => api.freeze.get(), refetchInterval: 10_000 });
  const [open, setOpen] = useState(false);
  const opener = useRef<HTMLButtonElement>(null);
  const set = useMutation({
    mutationFn: ({ active, reason }: { active: boolean; reason: string }) => api.freeze.set(active, reason),
    onSuccess: (data) => {
      queryClient.setQueryData(["change-freeze"], data);
      void queryClient.invalidateQueries({ queryKey: ["rollouts"] });
      setOpen(false);
    },
    onError: () => setOpen(false),
  });
  const f = freeze.data;
  const manage = canManageFreeze(user);
  if (freeze.isError) {
    return <ProblemAlert error={freeze.error} title="Could not read the change freeze" onRetry={() => void freeze.refetch()} />;
  }
  if (!f) return null;
  return (
    <section
      className={`freeze-banner alert ${f.active ? "alert-warning" : "alert-quiet"}`}
      aria-label="Change freeze"
      data-freeze={f.active ? "on" : "off"}
    >
      <p>
        <Icon name={f.active ? "stop" : "check"} />{" "}
        {f.active ? (
          <>
            <strong>Change freeze is on</strong>: no ring is assigned anywhere until it is lifted. Since{" "}
            <Time value={f.started_at} /> by {f.started_by}: “{f.reason}”.
          </>
        ) : (
          <>
            <strong>No change freeze.</strong> Rollouts follow their maintenance windows and blackouts.
          </>
        )}{" "}
        {manage ? (
          <button
            ref={opener}
            type="button"
            className={`btn btn-small ${f.active ? "" : "btn-danger"}`}
            onClick={() => {
              set.reset();
              setOpen(true);
            }}
          >
            {f.active ? "Lift the change freeze…" : "Start a change freeze…"}
          </button>
        ) : null}
      </p>
      {set.error ? <ProblemAlert error={set.error} retryLabel="Dismiss" onRetry={() => set.reset()} /> : null}
      <ReasonDialog
        open={open}
        title={f.active ? "Lift the change freeze?" : "Start a change freeze?"}
        confirmLabel={f.active ? "Lift the freeze" : "Start the freeze"}
        danger={!f.active}
        busy={set.isPending}
        onClose={() => {
          setOpen(false);
          opener.current?.focus();
        }}
        onConfirm={(reason) => set.mutate({ active: !f.active, reason })}
      >
        <p>
          {f.active
            ? "Rollouts continue at their next engine pass, inside their maintenance windows."
            : "Every rollout holds at its current ring: no new ring is assigned on any plane until the freeze is lifted. Devices keep what they have."}
        </p>
      </ReasonDialog>
    </section>
  );
}
