import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { Link } from "react-router";
import { api } from "../api/client";
import { ApiProblem } from "../api/problem";
import { kindLabel } from "../lib/evidence";
import { EvidencePackViewer } from "./EvidencePackViewer";
import { ProblemAlert } from "./ProblemAlert";

/** Each completeness check in words, with what to do about it. */
const CHECK_WORDS: Record<string, string> = {
  "sections-present": "Evidence is missing",
  "risk-assessed": "The intent has no current risk assessment; its Publisher assesses it",
  "artifact-digest": "The stored artifact no longer matches its SHA-256; upload it again",
  "signature-verified": "The signature does not verify with a trusted key",
  "no-blocking-findings": "The vulnerability scan has blocking findings; fix them or ask for an exception",
  "no-malware": "The malware scan is not clean",
  "rollback-validated": "The rollback plan is not validated in the lab",
  "lab-install-succeeded": "The lab install did not succeed",
  "cab-submission": "The CAB submission for the intent is not written yet; its Publisher writes it",
  "scan-binding": "The vulnerability scan is not bound to this artifact",
  "pack-sealed": "No pack is sealed yet",
  "intent-version": "This artifact is not of the intent's version",
};

function gapWords(rule: string, field: string): string {
  const section = field.startsWith("sections.") ? field.slice("sections.".length) : "";
  const base = CHECK_WORDS[rule] ?? `The check "${rule.replace(/-/g, " ")}" does not hold`;
  return section && rule === "sections-present" ? `${kindLabel(section)}: ${base.toLowerCase()}` : base;
}

/** Seal the artifact's evidence for one of the intents that deploy its version, then show the pack. */
export function EvidenceSeal({ applicationId, versionLabel, artifactId }: { applicationId: string; versionLabel: string; artifactId: string }) {
  const id = useId();
  const intents = useQuery({
    queryKey: ["intents", { application: applicationId }],
    queryFn: () => api.intents.list({ application: applicationId }),
  });
  const forVersion = (intents.data?.results ?? []).filter((i) => i.version === versionLabel && i.state !== "cancelled");
  const [intent, setIntent] = useState("");
  const chosen = intent || forVersion[0]?.id || "";
  const qc = useQueryClient();
  const seal = useMutation({
    mutationFn: () => api.evidencePacks.seal(chosen, artifactId),
    onSuccess: async () => qc.invalidateQueries({ queryKey: ["evidence-packs"] }),
  });
  const refusal = seal.error instanceof ApiProblem && seal.error.code === "evidence-incomplete" ? seal.error : null;
  if (intents.isPending) return null;
  if (forVersion.length === 0) {
    return (
      <p className="small muted">
        Sealing is for a deployment intent: no intent deploys version {versionLabel} yet. Once a Publisher creates one, seal its pack here.
      </p>
    );
  }
  return (
    <div className="evidence-seal">
      <div className="filters">
        <div className="field">
          <label htmlFor={`${id}-intent`}>Seal for intent</label>
          <select id={`${id}-intent`} value={chosen} onChange={(e) => { setIntent(e.target.value); seal.reset(); }}>
            {forVersion.map((i) => (
              <option key={i.id} value={i.id}>
                {i.title || i.name}
              </option>
            ))}
          </select>
        </div>
        <div className="filter-actions">
          <button type="button" className="btn btn-primary" disabled={seal.isPending} onClick={() => seal.mutate()}>
            {seal.isPending ? "Sealing…" : "Seal evidence pack"}
          </button>
        </div>
      </div>
      {refusal ? (
        <div className="alert alert-error" role="alert" data-testid="seal-gaps">
          <p>
            <strong>Not sealed yet:</strong> {refusal.errors.length} {refusal.errors.length === 1 ? "check does" : "checks do"} not hold.
          </p>
          <ul>
            {refusal.errors.map((e) => (
              <li key={`${e.field}-${e.rule}`}>{gapWords(e.rule, e.field)}.</li>
            ))}
          </ul>
          <p>
            <Link to={`/intents/${chosen}`}>Open the intent</Link> to see its risk assessment and CAB submission.
          </p>
        </div>
      ) : seal.error ? (
        <ProblemAlert error={seal.error} title="The pack was not sealed" />
      ) : null}
      {seal.data ? (
        <div role="status" className="alert alert-success">
          <p>
            Pack version {seal.data.version} sealed. SHA-256 <code className="digest">{seal.data.sha256}</code>
          </p>
        </div>
      ) : null}
      {seal.data ? <EvidencePackViewer intentId={chosen} /> : null}
    </div>
  );
}
