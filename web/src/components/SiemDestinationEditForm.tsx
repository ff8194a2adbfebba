import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { ApiProblem } from "../api/problem";
import { KIND_LABELS, type SiemDestination, type SiemDestinationUpdate, siem } from "../api/siem";
import { unplacedErrors } from "../lib/fields";
import { Field } from "./Field";
import { ProblemAlert } from "./ProblemAlert";
import { UnplacedErrors } from "./UnplacedErrors";
import { SiemEndpointFields } from "./SiemEndpointFields";

type Form = {
  host: string;
  port: string;
  path: string;
  format: "cef" | "json";
  batchSize: string;
  tlsVerify: boolean;
  tlsCa: string;
  tlsServerName: string;
  tlsClientCert: string;
  token: string;
  clientKey: string;
};

const PLACED = ["host", "port", "path", "format", "batch_size", "tls_ca_pem", "tls_server_name", "tls_client_cert_pem", "secrets.token", "secrets.client_key_pem"];

function formOf(d: SiemDestination): Form {
  return {
    host: d.host,
    port: String(d.port),
    path: d.path,
    format: d.format as "cef" | "json",
    batchSize: String(d.batch_size),
    tlsVerify: d.tls_verify,
    tlsCa: d.tls_ca_pem,
    tlsServerName: d.tls_server_name,
    tlsClientCert: d.tls_client_cert_pem,
    token: "",
    clientKey: "",
  };
}

/** The request body: every field this kind has, and only the secrets typed in (empty keeps the stored one). */
function bodyOf(d: SiemDestination, f: Form): SiemDestinationUpdate {
  const syslog = d.kind.startsWith("syslog");
  const tls = d.kind !== "syslog-tcp";
  const secrets = { ...(!syslog && f.token ? { token: f.token } : {}), ...(tls && f.clientKey ? { client_key_pem: f.clientKey } : {}) };
  return {
    host: f.host.trim(),
    port: Number(f.port),
    batch_size: Number(f.batchSize),
    ...(syslog ? { format: f.format } : { path: f.path.trim() }),
    ...(tls
      ? { tls_verify: f.tlsVerify, tls_ca_pem: f.tlsCa, tls_server_name: f.tlsServerName.trim(), tls_client_cert_pem: f.tlsClientCert }
      : {}),
    ...(Object.keys(secrets).length ? { secrets } : {}),
  };
}

/** What a write-only secret's field says: whether one is stored, and that empty keeps it. */
function secretHint(d: SiemDestination, name: string): string {
  return d.secret_names.includes(name) ? "One is stored (never shown). Leave empty to keep it; type a new one to replace it." : "None is stored yet.";
}

/** Edit a SIEM destination: where and how it is reached; its name and kind stay. Secrets are write-only. */
export function SiemDestinationEditForm({ destination: d, onSaved, onCancel }: { destination: SiemDestination; onSaved: (d: SiemDestination) => void; onCancel: () => void }) {
  const [form, setForm] = useState(() => formOf(d));
  const alertRef = useRef<HTMLDivElement>(null);
  const headRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headRef.current?.focus(), []);
  const syslog = d.kind.startsWith("syslog");
  const tls = d.kind !== "syslog-tcp";
  const save = useMutation({ mutationFn: () => siem.update(d.id, d.etag, bodyOf(d, form)), onSuccess: onSaved });
  useEffect(() => {
    if (save.isError) alertRef.current?.focus();
  }, [save.isError]);
  const problem = save.error instanceof ApiProblem ? save.error : null;
  const errs = problem ? problem.fieldErrors() : new Map<string, string[]>();
  const others = unplacedErrors(errs, (path) => PLACED.includes(path));
  const set = (changes: Partial<Form>) => setForm({ ...form, ...changes });
  const title =
    problem?.status === 400 ? "The changes are not valid; see the marked fields" : problem?.status === 412 ? "Someone changed this destination meanwhile; close the form and edit it again" : undefined;
  return (
    <form
      className="form card"
      aria-labelledby="edit-siem-h"
      noValidate
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <h2 id="edit-siem-h" ref={headRef} tabIndex={-1}>Edit “{d.name}”</h2>
      <p className="hint">
        {KIND_LABELS[d.kind]}; the name and kind stay. Saved changes apply from the next batch; nothing already acknowledged is sent again.
      </p>
      {save.error ? <ProblemAlert ref={alertRef} error={save.error} title={title} /> : null}
      <UnplacedErrors errors={others} />
      <div className="row">
        <SiemEndpointFields prefix="edit." form={form} set={set} errs={errs} syslog={syslog} />
        <Field path="edit.batch_size" label="Events per batch" errors={errs.get("batch_size")} hint="1 to 5000.">
          {(p) => <input {...p} inputMode="numeric" value={form.batchSize} onChange={(e) => set({ batchSize: e.target.value })} />}
        </Field>
      </div>
      {!syslog ? (
        <Field path="edit.secrets.token" label={d.kind === "https-hec" ? "New HEC token" : "New bearer token"} errors={errs.get("secrets.token")} hint={secretHint(d, "token")}>
          {(p) => <input {...p} type="password" autoComplete="new-password" value={form.token} onChange={(e) => set({ token: e.target.value })} />}
        </Field>
      ) : null}
      {tls ? <TlsFields d={d} form={form} errs={errs} set={set} /> : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save changes"}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function TlsFields({ d, form, errs, set }: { d: SiemDestination; form: Form; errs: Map<string, string[]>; set: (c: Partial<Form>) => void }) {
  return (
    <>
      <Field path="edit.tls_ca_pem" label="CA certificate (PEM)" errors={errs.get("tls_ca_pem")} hint="Empty: the system's trusted authorities.">
        {(p) => <textarea {...p} rows={4} spellCheck={false} value={form.tlsCa} onChange={(e) => set({ tlsCa: e.target.value })} />}
      </Field>
      <Field path="edit.tls_server_name" label="Name on the receiver's certificate" errors={errs.get("tls_server_name")} hint="Empty: the host.">
        {(p) => <input {...p} spellCheck={false} value={form.tlsServerName} onChange={(e) => set({ tlsServerName: e.target.value })} />}
      </Field>
      <Field path="edit.tls_client_cert_pem" label="Client certificate (PEM)" errors={errs.get("tls_client_cert_pem")} hint="For receivers that check the sender's certificate.">
        {(p) => <textarea {...p} rows={4} spellCheck={false} value={form.tlsClientCert} onChange={(e) => set({ tlsClientCert: e.target.value })} />}
      </Field>
      <Field path="edit.secrets.client_key_pem" label="New client key (PEM)" errors={errs.get("secrets.client_key_pem")} hint={secretHint(d, "client_key_pem")}>
        {(p) => <textarea {...p} rows={4} spellCheck={false} autoComplete="off" value={form.clientKey} onChange={(e) => set({ clientKey: e.target.value })} />}
      </Field>
      <label className="checkbox">
        <input type="checkbox" checked={form.tlsVerify} onChange={(e) => set({ tlsVerify: e.target.checked })} /> Verify the receiver's certificate and name
      </label>
    </>
  );
}
