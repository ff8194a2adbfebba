import { useQuery } from "@tanstack/react-query";
import { api, type Artifact } from "../api/client";
import { DataState } from "./DataState";
import { EvidenceAttach } from "./EvidenceAttach";
import { EvidenceChecklist } from "./EvidenceChecklist";
import { EvidenceSeal } from "./EvidenceSeal";

/** One artifact's evidence: attach files, watch the checklist fill, seal. */
export function EvidencePanel({ applicationId, versionLabel, artifact, canEdit }: { applicationId: string; versionLabel: string; artifact: Artifact; canEdit: boolean }) {
  const evidence = useQuery({
    queryKey: ["evidence", artifact.id],
    queryFn: () => api.evidence.list({ artifact: artifact.id, current: true, page_size: 100 }),
  });
  const items = evidence.data?.results ?? [];
  return (
    <section className="evidence-panel" aria-labelledby={`ev-${artifact.id}`}>
      <h4 id={`ev-${artifact.id}`}>Evidence for {artifact.filename}</h4>
      <DataState query={evidence} label="evidence">
        <EvidenceChecklist artifactId={artifact.id} items={items} caption={`Evidence checklist for ${artifact.filename}`} />
      </DataState>
      {canEdit ? (
        <>
          <EvidenceAttach artifactId={artifact.id} artifactName={artifact.filename} />
          <EvidenceSeal applicationId={applicationId} versionLabel={versionLabel} artifactId={artifact.id} />
        </>
      ) : null}
    </section>
  );
}
