import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api } from "../api/client";
import { ApiProblem } from "../api/problem";
import { fieldErrorsOf } from "../lib/fields";
import { Field } from "./Field";
import { ProblemAlert } from "./ProblemAlert";

/** Add a version to an application. */
export function VersionForm({ applicationId, onDone }: { applicationId: string; onDone: () => void }) {
  const [version, setVersion] = useState("");
  const [notes, setNotes] = useState("");
  const [missing, setMissing] = useState(false);
  const qc = useQueryClient();
  const create = useMutation({
    mutationFn: () => api.versions.create({ application: applicationId, version: version.trim(), release_notes: notes }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ["versions", applicationId] });
      await qc.invalidateQueries({ queryKey: ["application", applicationId] });
      setVersion("");
      setNotes("");
      onDone();
    },
  });
  const server = fieldErrorsOf(create.error instanceof ApiProblem ? create.error : null);
  function submit(e: FormEvent) {
    e.preventDefault();
    setMissing(!version.trim());
    if (version.trim()) create.mutate();
  }
  return (
    <form className="card form" onSubmit={submit} aria-labelledby="add-version-title" noValidate>
      <h3 id="add-version-title">Add a version</h3>
      <Field path="version" label="Version" hint="As the vendor numbers it, for example 2.1.0." errors={missing ? ["Enter the version number."] : server.get("version")}>
        {(p) => <input {...p} value={version} onChange={(e) => setVersion(e.target.value)} autoComplete="off" />}
      </Field>
      <Field path="release_notes" label="Release notes (optional)" errors={server.get("release_notes")}>
        {(p) => <textarea {...p} rows={3} value={notes} onChange={(e) => setNotes(e.target.value)} />}
      </Field>
      {create.error && !server.get("version") && !server.get("release_notes") ? <ProblemAlert error={create.error} /> : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          {create.isPending ? "Adding…" : "Add version"}
        </button>
        <button type="button" className="btn" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
