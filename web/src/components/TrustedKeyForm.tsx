import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { api, type TrustedKey, type TrustedKeyWrite } from "../api/client";
import { ApiProblem } from "../api/problem";
import { fieldErrorsOf, unplacedErrors } from "../lib/fields";
import { localInputToIso } from "../lib/format";
import { looksLikePem } from "../lib/trust";
import { Field } from "./Field";
import { ProblemAlert } from "./ProblemAlert";

const EMPTY = { name: "", publisher: "", pem: "", not_before: "", expires_at: "" };
const PLACED = new Set(Object.keys(EMPTY));
const FIELD_LABEL: Record<string, string> = { body: "The request", non_field_errors: "The key" };

/** Add a trusted public key or X.509 root: name, publisher, the PEM pasted or read from a file, validity. */
export function TrustedKeyForm({ onAdded }: { onAdded: (key: TrustedKey) => void }) {
  const [form, setForm] = useState(EMPTY);
  const [local, setLocal] = useState<Map<string, string[]>>(new Map());
  const fileId = useId();
  const add = useMutation({
    mutationFn: () => {
      const body: TrustedKeyWrite = { name: form.name.trim(), publisher: form.publisher.trim(), pem: form.pem.trim() };
      if (form.not_before) body.not_before = localInputToIso(form.not_before);
      if (form.expires_at) body.expires_at = localInputToIso(form.expires_at);
      return api.trustedKeys.create(body);
    },
    onSuccess: (key) => {
      setForm(EMPTY);
      onAdded(key);
    },
  });
  const problem = add.error instanceof ApiProblem ? add.error : null;
  const errs = local.size > 0 ? local : fieldErrorsOf(problem);
  const set = (k: keyof typeof EMPTY) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });

  function submit(e: FormEvent) {
    e.preventDefault();
    const found = new Map<string, string[]>();
    if (!form.name.trim()) found.set("name", ["Give the key a name people will recognise."]);
    if (!form.publisher.trim()) found.set("publisher", ["Name the publisher whose signatures this key checks."]);
    if (!form.pem.trim()) found.set("pem", ["Paste the PEM text or choose a .pem file."]);
    else if (!looksLikePem(form.pem)) found.set("pem", ["This is not PEM text: it should start with -----BEGIN PUBLIC KEY----- or -----BEGIN CERTIFICATE-----."]);
    setLocal(found);
    if (found.size === 0) add.mutate();
  }

  async function readFile(file: File | undefined) {
    if (!file) return;
    const text = await file.text();
    setForm((f) => ({ ...f, pem: text }));
  }

  const other = unplacedErrors(errs, (p) => PLACED.has(p));
  return (
    <form className="form card" aria-labelledby="tk-add-h" onSubmit={submit} noValidate>
      <h2 id="tk-add-h">Add a trusted key</h2>
      {add.error && local.size === 0 ? (
        <ProblemAlert
          error={add.error}
          title={problem?.status === 400 ? "The key was not added; see the marked fields" : problem?.status === 409 ? "This key is trusted already" : undefined}
        />
      ) : null}
      {other.map(([p, m]) => (
        <p key={p} className="field-error">
          {FIELD_LABEL[p] ?? p}: {m.join(" ")}
        </p>
      ))}
      <div className="row">
        <Field path="tk.name" label="Name" errors={errs.get("name")}>
          {(p) => <input {...p} value={form.name} onChange={set("name")} autoComplete="off" />}
        </Field>
        <Field path="tk.publisher" label="Publisher" errors={errs.get("publisher")}>
          {(p) => <input {...p} value={form.publisher} onChange={set("publisher")} autoComplete="organization" />}
        </Field>
      </div>
      <Field
        path="tk.pem"
        label="Public key or X.509 root (PEM)"
        hint="Ed25519, P-256 or RSA of at least 3072 bits, or a root certificate. Paste it here or choose a file below."
        errors={errs.get("pem")}
      >
        {(p) => <textarea {...p} rows={6} value={form.pem} onChange={set("pem")} spellCheck={false} />}
      </Field>
      <div className="field">
        <label htmlFor={fileId}>Or read it from a file</label>
        <input id={fileId} type="file" accept=".pem,.crt,.cer,.pub,text/plain" onChange={(e) => void readFile(e.target.files?.[0])} />
      </div>
      <div className="row">
        <Field path="tk.not_before" label="Valid from (UTC, optional)" hint="Empty: from now." errors={errs.get("not_before")}>
          {(p) => <input {...p} type="datetime-local" value={form.not_before} onChange={set("not_before")} />}
        </Field>
        <Field path="tk.expires_at" label="Expires (UTC, optional)" hint="Empty: no expiry." errors={errs.get("expires_at")}>
          {(p) => <input {...p} type="datetime-local" value={form.expires_at} onChange={set("expires_at")} />}
        </Field>
      </div>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={add.isPending}>
          {add.isPending ? "Adding…" : "Add trusted key"}
        </button>
      </div>
    </form>
  );
}
