import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { api, type WebhookEvent, type WebhookTarget, type WebhookTargetCreated } from "../api/client";
import { reads } from "../api/reads";
import { ApiProblem } from "../api/problem";
import { errorId } from "../lib/fields";
import { ALL_WEBHOOK_EVENTS, WEBHOOK_EVENTS } from "../lib/notifications";
import { Field } from "./Field";
import { ProblemAlert } from "./ProblemAlert";

const EMPTY = { name: "", url: "", secret: "", events: [] as WebhookEvent[] };

type Props =
  | { target?: undefined; onCreated: (target: WebhookTargetCreated) => void; onSaved?: undefined; onCancel?: undefined }
  | { target: WebhookTarget; onSaved: (target: WebhookTarget) => void; onCancel: () => void; onCreated?: undefined };

/**
 * Register a webhook (name, URL, the events it wants and an optional signing secret, never shown again),
 * or, given `target`, edit its name, URL and events (its secret stays; a new secret is a new webhook).
 */
export function WebhookForm({ target, onCreated, onSaved, onCancel }: Props) {
  const editing = target !== undefined;
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const [form, setForm] = useState(
    editing ? { name: target.name, url: target.url, secret: "", events: (target.events ?? []) as WebhookEvent[] } : EMPTY,
  );
  const create = useMutation({
    mutationFn: async () => {
      const fields = { name: form.name.trim(), url: form.url.trim(), events: form.events };
      if (editing) return { saved: await reads.webhooks.update(target.id, fields) };
      return { created: await api.webhooks.create({ ...fields, ...(form.secret ? { secret: form.secret } : {}) }) };
    },
    onSuccess: ({ saved, created }) => {
      if (saved) onSaved?.(saved);
      if (created) {
        setForm(EMPTY);
        onCreated?.(created);
      }
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
      aria-labelledby={editing ? "edit-webhook-h" : "new-webhook-h"}
      noValidate
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      {editing ? (
        <h2 id="edit-webhook-h" ref={heading} tabIndex={-1}>
          Edit “{target.name}”
        </h2>
      ) : (
        <h2 id="new-webhook-h">Add a webhook</h2>
      )}
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
      {editing ? null : (
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
      )}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          {editing ? (create.isPending ? "Saving…" : "Save changes") : create.isPending ? "Adding…" : "Add webhook"}
        </button>
        {editing ? (
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}
