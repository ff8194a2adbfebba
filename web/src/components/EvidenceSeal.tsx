import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { Link } from "react-router";
import { api } from "../api/client";
import { ApiProblem } from "../api/problem";
import { gapAnchor, gapKind, gapWords, kindLabel } from "../lib/evidence";
import { EvidencePackViewer } from "./EvidencePackViewer";
import { ProblemAlert } from "./ProblemAlert";

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
            {refusal.errors.map((e) => {
              const kind = gapKind(e.field);
              return (
                <li key={`${e.field}-${e.rule}`}>
                  {gapWords(e.rule, e.field)}.
                  {kind ? (
                    <>
                      {" "}
                      <a href={`#${gapAnchor(artifactId, kind)}`}>Go to the {kindLabel(kind)} evidence</a>
                    </>
                  ) : null}
                </li>
              );
            })}
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
