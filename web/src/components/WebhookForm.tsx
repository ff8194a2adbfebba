import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api, type WebhookEvent, type WebhookTargetCreated } from "../api/client";
import { ApiProblem } from "../api/problem";
import { errorId } from "../lib/fields";
import { ALL_WEBHOOK_EVENTS, WEBHOOK_EVENTS } from "../lib/notifications";
import { Field } from "./Field";
import { ProblemAlert } from "./ProblemAlert";

const EMPTY = { name: "", url: "", secret: "", events: [] as WebhookEvent[] };

/** Register a webhook: name, URL, the events it wants and an optional signing secret (never shown again). */
export function WebhookForm({ onCreated }: { onCreated: (target: WebhookTargetCreated) => void }) {
  const [form, setForm] = useState(EMPTY);
  const create = useMutation({
    mutationFn: () =>
      api.webhooks.create({
        name: form.name.trim(),
        url: form.url.trim(),
        events: form.events,
        ...(form.secret ? { secret: form.secret } : {}),
      }),
    onSuccess: (target) => {
      setForm(EMPTY);
      onCreated(target);
    },
  });
  const problem = create.error instanceof ApiProblem ? create.error : null;
  const errs = problem ? problem.fieldErrors() : new Map<string, string[]>();
  const placed = new Set(["name", "url", "secret", "events"]);
  const invalid = problem?.status === 400 && [...errs.keys()].every((k) => placed.has(k.replace(/\[\d+\]$/, "")));
  const eventErrors = [...errs.entries()].filter(([k]) => k === "events" || k.startsWith("events[")).flatMap(([, v]) => v);
  const toggle = (e: WebhookEvent, on: boolean) =>
    setForm({ ...form, events: on ? [...form.events, e] : form.events.filter((x) => x !== e) });
  return (
    <form
      className="form card webhook-form"
      aria-labelledby="new-webhook-h"
      noValidate
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <h2 id="new-webhook-h">Add a webhook</h2>
      {create.error ? (
        <ProblemAlert error={create.error} title={invalid ? "The webhook is not valid; see the marked fields" : undefined} />
      ) : null}
      <div className="row">
        <Field path="name" label="Name" errors={errs.get("name")}>
          {(p) => <input {...p} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />}
        </Field>
        <Field path="url" label="URL" errors={errs.get("url")} hint="Fleetgate sends each event as a signed POST here.">
          {(p) => (
            <input
              {...p}
              type="url"
              inputMode="url"
              spellCheck={false}
              value={form.url}
              onChange={(e) => setForm({ ...form, url: e.target.value })}
            />
          )}
        </Field>
      </div>
      <fieldset
        className={`field${eventErrors.length ? " field-invalid" : ""}`}
        aria-describedby={eventErrors.length ? errorId("events") : "webhook-events-hint"}
      >
        <legend>Events</legend>
        <p className="hint" id="webhook-events-hint">
          Choose none to receive every event.
        </p>
        {ALL_WEBHOOK_EVENTS.map((e) => (
          <label key={e} className="checkbox">
            <input type="checkbox" checked={form.events.includes(e)} onChange={(x) => toggle(e, x.target.checked)} />{" "}
            {WEBHOOK_EVENTS[e]}
          </label>
        ))}
        {eventErrors.length ? (
          <p className="field-error" id={errorId("events")}>
            <span aria-hidden="true">⚠ </span>
            {eventErrors.join(" ")}
          </p>
        ) : null}
      </fieldset>
      <Field
        path="secret"
        label="Signing secret (optional)"
        errors={errs.get("secret")}
        hint="At least 16 characters; leave it empty and Fleetgate makes one. It is shown once, after adding, and never again."
      >
        {(p) => (
          <input
            {...p}
            type="password"
            autoComplete="new-password"
            value={form.secret}
            onChange={(e) => setForm({ ...form, secret: e.target.value })}
          />
        )}
      </Field>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          {create.isPending ? "Adding…" : "Add webhook"}
        </button>
      </div>
    </form>
  );
}
