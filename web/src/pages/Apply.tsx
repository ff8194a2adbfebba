import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { Link } from "react-router";
import { type ManifestOutcome, type ManifestResult, manifests } from "../api/manifest";
import { ApiProblem } from "../api/problem";
import { useUser } from "../auth/session";
import { FileDrop } from "../components/FileDrop";
import { Page } from "../components/Page";
import { ProblemAlert } from "../components/ProblemAlert";
import { Table } from "../components/Table";
import { hasRole } from "../lib/permissions";
import { NotAllowed } from "./NotFound";

const EXAMPLE = `kind: DeploymentIntent
name: firefox-128-6-engineering
title: Firefox ESR 128.6 for engineering
application: Mozilla Firefox ESR
version: 128.6.0
target: {boundary: acme, business_unit: engineering, site_classes: [online]}
ring_plan:
  - {ring: lab, target_group: FG-LAB, device_count: 8}
rollback_plan: {strategy: reinstall_previous, rollback_version: 128.5.0}
`;

const ACTION_WORDS: Record<ManifestOutcome["action"], [string, string]> = {
  create: ["Would be created", "Created"],
  update: ["Would be changed", "Changed"],
  unchanged: ["Unchanged", "Unchanged"],
};

/** `documents[1].ring_plan[0].target_group` → `Document 2, ring_plan[0].target_group`. */
export function fieldWords(field: string): string {
  const m = /^documents\[(\d+)\]\.?(.*)$/.exec(field);
  if (!m) return field === "manifest" ? "The file" : field;
  return m[2] ? `Document ${Number(m[1]) + 1}, ${m[2]}` : `Document ${Number(m[1]) + 1}`;
}

function show(value: unknown): string {
  if (value === null || value === undefined) return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** A manifest's problems, each with the line it is on, so the person can find it in the text. */
export function ManifestProblems({ problem }: { problem: ApiProblem }) {
  const lines = (problem.extra.lines ?? {}) as Record<string, number>;
  return (
    <div className="alert alert-error" role="alert">
      <p className="alert-title">
        <strong>Nothing was applied: fix these in the manifest, then check again.</strong>
      </p>
      <p>{problem.detail}</p>
      <ul>
        {problem.errors.map((e) => (
          <li key={`${e.field}-${e.rule}-${e.message}`}>
            {lines[e.field] ? <strong>Line {lines[e.field]}: </strong> : null}
            <code>{fieldWords(e.field)}</code>: {e.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

function Outcome({ doc, dryRun }: { doc: ManifestOutcome; dryRun: boolean }) {
  const [would, did] = ACTION_WORDS[doc.action];
  const id = `doc-${doc.document}`;
  return (
    <section className="card" aria-labelledby={id} data-action={doc.action}>
      <h3 id={id}>
        Document {doc.document} (line {doc.line}): {doc.intent_id && !dryRun ? <Link to={`/intents/${doc.intent_id}`}>{doc.name}</Link> : doc.name} — {dryRun ? would : did}
      </h3>
      {doc.changes.length > 0 ? (
        <Table
          caption={`Field changes of ${doc.name}`}
          toolbar={false}
          rows={doc.changes}
          rowKey={(c) => c.field}
          columns={[
            { label: "Field", rowHeader: true, value: (c) => c.field, cell: (c) => <code>{c.field}</code> },
            { label: "Now", className: "change-before", value: (c) => show(c.before), cell: (c) => show(c.before) },
            {
              label: dryRun ? "After applying" : "Now set to",
              className: "change-after",
              value: (c) => show(c.after),
              cell: (c) => show(c.after),
            },
          ]}
        />
      ) : (
        <p className="muted">The stored intent already matches this document.</p>
      )}
    </section>
  );
}

/**
 * The console's `fleetgate apply -f`: a Publisher pastes or uploads intent YAML, checks it (a dry run
 * that changes nothing and lists what would be created or changed, field by field, with every problem
 * on its line), then applies exactly what was checked.
 */
export function Apply() {
  const user = useUser();
  const queryClient = useQueryClient();
  const [text, setText] = useState("");
  const [checked, setChecked] = useState<{ text: string; result: ManifestResult } | null>(null);
  const [applied, setApplied] = useState<ManifestResult | null>(null);
  const results = useRef<HTMLDivElement>(null);
  const run = useMutation({
    mutationFn: (dryRun: boolean) => manifests.apply(text, dryRun),
    onSuccess: (result) => {
      if (result.dry_run) {
        setChecked({ text, result });
        setApplied(null);
      } else {
        setApplied(result);
        setChecked(null);
        void queryClient.invalidateQueries({ queryKey: ["intents"] });
      }
      setTimeout(() => results.current?.focus(), 0);
    },
  });
  if (!hasRole(user, "publisher")) return <NotAllowed need="Publisher" />;
  const ready = checked !== null && checked.text === text;
  const changes = checked?.result.documents.filter((d) => d.action !== "unchanged").length ?? 0;
  const problem = run.error instanceof ApiProblem && run.error.status === 400 && run.error.errors.length ? run.error : null;
  return (
    <Page
      title="Apply a manifest"
      subtitle="Create or change intents from YAML, as with the command line's apply: check first, see every change, then apply."
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          run.mutate(true);
        }}
        noValidate
      >
        <div className="field">
          <label htmlFor="manifest-text">Manifest (YAML, one or more DeploymentIntent documents)</label>
          <textarea
            id="manifest-text"
            className="manifest-input"
            spellCheck={false}
            value={text}
            placeholder={EXAMPLE}
            aria-invalid={problem ? true : undefined}
            onChange={(e) => setText(e.target.value)}
          />
        </div>
        <FileDrop
          label="Or upload a YAML file"
          accept=".yaml,.yml,text/yaml,application/yaml"
          onFile={(file) => void file.text().then(setText)}
        />
        <div className="form-actions">
          <button type="submit" className="btn" disabled={run.isPending || !text.trim()}>
            {run.isPending && !ready ? "Checking…" : "Check what would change"}
          </button>
          <button
            type="button"
            className="btn btn-primary"
            disabled={!ready || changes === 0 || run.isPending}
            onClick={() => run.mutate(false)}
          >
            {run.isPending && ready ? "Applying…" : "Apply"}
          </button>
          {!ready && text.trim() ? <span className="small muted">Check the manifest before applying it.</span> : null}
        </div>
      </form>
      <div ref={results} tabIndex={-1} aria-live="polite">
        {problem ? <ManifestProblems problem={problem} /> : run.isError ? <ProblemAlert error={run.error} /> : null}
        {checked && ready ? (
          <>
            <h2>What applying would do</h2>
            <p role="status">
              {changes === 0
                ? "Everything already matches: applying would change nothing."
                : `${changes} of ${checked.result.documents.length} intent(s) would be created or changed. Nothing has been changed yet.`}
            </p>
            {checked.result.documents.map((d) => (
              <Outcome key={d.document} doc={d} dryRun />
            ))}
          </>
        ) : null}
        {applied ? (
          <>
            <h2>Applied</h2>
            <p className="alert alert-success" role="status">
              Applied {applied.documents.length} document(s); each change is recorded in the ledger.
            </p>
            {applied.documents.map((d) => (
              <Outcome key={d.document} doc={d} dryRun={false} />
            ))}
          </>
        ) : null}
      </div>
    </Page>
  );
}
