import { useMutation, useQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api, type ExceptionWrite, type PolicyException } from "../api/client";
import { ApiProblem } from "../api/problem";
import { humanize } from "../lib/format";
import { Field } from "./Field";
import { ProblemAlert } from "./ProblemAlert";

export const EXCEPTION_KINDS = ["vulnerability", "unsigned_package", "scope", "gate_override"] as const;
const KINDS = EXCEPTION_KINDS;

/** A Packaging Engineer or Publisher asks for a time-boxed exception; a Security Reviewer decides. */
export function ExceptionRequestForm({ onDone }: { onDone: (row: PolicyException) => void }) {
  const empty = {
    kind: "vulnerability",
    application: "",
    artifact: "",
    subject: "",
    justification: "",
    compensating_controls: "",
    owner: "",
    expires_in_days: "30",
  };
  const [form, setForm] = useState(empty);
  const apps = useQuery({ queryKey: ["applications", {}], queryFn: () => api.applications.list() });
  const versions = useQuery({
    queryKey: ["versions", { application: form.application }],
    queryFn: () => api.versions.list({ application: form.application, page_size: 200 }),
    enabled: !!form.application,
  });
  const artifacts = (versions.data?.results ?? []).flatMap((v) => v.artifacts.map((a) => ({ ...a, label: `${v.version} · ${a.filename}` })));
  const create = useMutation({
    mutationFn: () => {
      const body: ExceptionWrite = {
        kind: form.kind,
        artifact: form.artifact || null,
        subject: form.subject,
        justification: form.justification,
        compensating_controls: form.compensating_controls,
        owner: form.owner,
        expires_in_days: Number(form.expires_in_days),
      };
      return api.exceptions.create(body);
    },
    onSuccess: (row) => {
      setForm(empty);
      onDone(row);
    },
  });
  const problem = create.error instanceof ApiProblem ? create.error : null;
  const errs = problem ? problem.fieldErrors() : new Map<string, string[]>();
  const placed = new Set(["kind", "artifact", "intent", "subject", "justification", "compensating_controls", "owner", "expires_in_days"]);
  const set = (k: keyof typeof empty) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  return (
    <form
      className="form card"
      aria-labelledby="req-exc-h"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        create.mutate();
      }}
      noValidate
    >
      <h2 id="req-exc-h">Request an exception</h2>
      {create.error ? (
        <ProblemAlert error={create.error} title={problem?.status === 400 ? "The request is not valid; see the marked fields" : undefined} />
      ) : null}
      {problem
        ? [...errs.entries()]
            .filter(([p]) => !placed.has(p))
            .map(([p, m]) => (
              <p key={p} className="field-error">
                {p}: {m.join(" ")}
              </p>
            ))
        : null}
      <div className="row">
        <Field path="kind" label="Type" errors={errs.get("kind")}>
          {(p) => (
            <select {...p} value={form.kind} onChange={set("kind")}>
              {KINDS.map((k) => (
                <option key={k} value={k}>
                  {humanize(k)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field path="application" label="Application">
          {(p) => (
            <select {...p} value={form.application} onChange={(e) => setForm({ ...form, application: e.target.value, artifact: "" })}>
              <option value="">Choose…</option>
              {(apps.data ?? []).map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field path="artifact" label="Artifact" errors={errs.get("artifact")}>
          {(p) => (
            <select {...p} value={form.artifact} onChange={set("artifact")} disabled={!form.application}>
              <option value="">{form.application ? "Choose…" : "Choose an application first"}</option>
              {artifacts.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field path="subject" label="Subject (finding id, gate or scope)" errors={errs.get("subject")}>
          {(p) => <input {...p} value={form.subject} onChange={set("subject")} />}
        </Field>
      </div>
      <Field path="justification" label="Justification" errors={errs.get("justification")}>
        {(p) => <textarea {...p} rows={3} value={form.justification} onChange={set("justification")} />}
      </Field>
      <Field path="compensating_controls" label="Compensating controls" errors={errs.get("compensating_controls")}>
        {(p) => <textarea {...p} rows={3} value={form.compensating_controls} onChange={set("compensating_controls")} />}
      </Field>
      <div className="row">
        <Field path="owner" label="Owner (username)" errors={errs.get("owner")}>
          {(p) => <input {...p} value={form.owner} onChange={set("owner")} />}
        </Field>
        <Field path="expires_in_days" label="Expires in (days, at most 90)" errors={errs.get("expires_in_days")}>
          {(p) => <input {...p} type="number" min={1} max={90} value={form.expires_in_days} onChange={set("expires_in_days")} />}
        </Field>
      </div>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          {create.isPending ? "Requesting…" : "Request exception"}
        </button>
      </div>
    </form>
  );
}

