import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useMemo, useState } from "react";
import { account } from "../api/account";
import { ApiProblem } from "../api/problem";
import { SESSION_KEY } from "../auth/session";
import { fieldErrorsOf } from "../lib/fields";
import { browserZone, timeZones, UTC } from "../lib/time";
import { Field } from "./Field";
import { ProblemAlert } from "./ProblemAlert";

/** The zone times are shown in, stored on the person's account (the ledger keeps UTC). */
export function TimeZoneForm({ current }: { current: string }) {
  const queryClient = useQueryClient();
  const [zone, setZone] = useState(current);
  const [saved, setSaved] = useState("");
  const zones = useMemo(() => {
    const all = timeZones();
    return all.includes(current) ? all : [current, ...all]; // a zone this browser lists under another name
  }, [current]);
  const here = browserZone();
  const save = useMutation({
    mutationFn: () => account.setTimeZone(zone),
    onSuccess: (prefs) => {
      setSaved(`Times are now shown in ${prefs.time_zone}.`);
      void queryClient.invalidateQueries({ queryKey: SESSION_KEY });
      void queryClient.invalidateQueries({ queryKey: ["me"] });
    },
  });
  const errors = fieldErrorsOf(save.error instanceof ApiProblem ? save.error : null);
  return (
    <section className="card" aria-labelledby="tz-h">
      <h2 id="tz-h">Time zone</h2>
      <p>
        Every time on every screen is shown in this zone; point at a time, or move to it with the keyboard, to see it in
        UTC, as the ledger records it and as others see it.
      </p>
      {save.isError && !errors.size ? <ProblemAlert error={save.error} title="Could not save the time zone" /> : null}
      <form
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          setSaved("");
          save.mutate();
        }}
        noValidate
      >
        <Field path="time_zone" label="Show times in" errors={errors.get("time_zone")} hint={`This browser is in ${here}.`}>
          {(props) => (
            <select {...props} value={zone} onChange={(e) => setZone(e.target.value)}>
              {zones.map((z) => (
                <option key={z} value={z}>
                  {z === UTC ? "UTC (as the ledger records)" : z.replace(/_/g, " ")}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="form-actions">
          {here !== zone ? (
            <button type="button" className="btn" onClick={() => setZone(here)}>
              Use this browser's zone
            </button>
          ) : null}
          <button type="submit" className="btn btn-primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save time zone"}
          </button>
          <span role="status">{saved}</span>
        </div>
      </form>
    </section>
  );
}

/** Password change: current and new; the server checks the new one against the installation's rules. */
export function PasswordForm() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [revokeTokens, setRevokeTokens] = useState(false);
  const [done, setDone] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const queryClient = useQueryClient();
  const change = useMutation({
    mutationFn: () => account.changePassword({ current_password: current, new_password: next, revoke_tokens: revokeTokens }),
    onSuccess: (result) => {
      setCurrent("");
      setNext("");
      setAgain("");
      setRevokeTokens(false);
      setDone(
        `Password changed. Your other sessions are signed out; this one stays signed in.` +
          (result.tokens_revoked ? ` ${result.tokens_revoked} API token(s) revoked.` : " Your API tokens keep working."),
      );
      void queryClient.invalidateQueries({ queryKey: ["my-tokens"] });
    },
  });
  const errors = fieldErrorsOf(change.error instanceof ApiProblem ? change.error : null);
  const shown = mismatch ? new Map([...errors, ["new_password_again", ["The two new passwords differ; type the same one twice."]]]) : errors;
  return (
    <section className="card" aria-labelledby="pw-h">
      <h2 id="pw-h">Password</h2>
      <p>
        Changing your password signs you out of every other browser and device; this one stays signed in. API tokens are
        separate keys with their own expiry: they keep working unless you revoke them, here or one by one below.
      </p>
      {change.isError && !errors.size ? <ProblemAlert error={change.error} title="Could not change the password" /> : null}
      {done ? (
        <p className="alert alert-success" role="status">
          {done}
        </p>
      ) : null}
      <form
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          setDone("");
          if (next !== again) {
            setMismatch(true);
            return;
          }
          setMismatch(false);
          change.mutate();
        }}
        noValidate
      >
        <div className="row">
          <Field path="current_password" label="Current password" errors={shown.get("current_password")}>
            {(props) => (
              <input {...props} type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />
            )}
          </Field>
          <Field path="new_password" label="New password (12+ characters, not a common one)" errors={shown.get("new_password")}>
            {(props) => <input {...props} type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />}
          </Field>
          <Field path="new_password_again" label="New password again" errors={shown.get("new_password_again")}>
            {(props) => <input {...props} type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} />}
          </Field>
        </div>
        <div className="field">
          <label>
            <input type="checkbox" checked={revokeTokens} onChange={(e) => setRevokeTokens(e.target.checked)} /> Also revoke all my API
            tokens
          </label>
        </div>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={change.isPending}>
            {change.isPending ? "Changing…" : "Change password"}
          </button>
        </div>
      </form>
    </section>
  );
}
