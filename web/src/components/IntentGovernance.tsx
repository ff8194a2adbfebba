import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, type RiskAssessment } from "../api/client";
import { DataState } from "./DataState";
import { EvidencePackViewer } from "./EvidencePackViewer";
import { RiskBreakdown } from "./Governance";
import { RiskActions } from "./RiskAssess";
import { Time } from "./Time";

/** The latest primary assessment and, during a parallel-scoring period, its parallel twin. */
export function latestAssessment(rows: RiskAssessment[]): { primary?: RiskAssessment; parallel?: RiskAssessment } {
  const byNewest = [...rows].sort((a, b) => (b.created_at ?? "").localeCompare(a.created_at ?? ""));
  const primary = byNewest.find((r) => (r.role ?? "primary") === "primary");
  const parallel = primary ? byNewest.find((r) => r.role === "parallel" && r.primary === primary.id) : undefined;
  return { primary, parallel };
}

/** Risk breakdown and evidence packs of one intent, for the intent detail screen. */
export function IntentGovernance({ intentId }: { intentId: string }) {
  const risk = useQuery({
    queryKey: ["risk-assessments", { intent: intentId }],
    queryFn: () => api.riskAssessments.list({ intent: intentId }),
  });
  const cab = useQuery({
    queryKey: ["cab-requests", { intent: intentId }],
    queryFn: () => api.cab.list({ intent: intentId }),
  });
  const { primary, parallel } = latestAssessment(risk.data?.results ?? []);
  const requests = cab.data?.results ?? [];
  return (
    <>
      <section aria-labelledby="risk-h">
        <h2 id="risk-h">Risk</h2>
        <DataState query={risk} label="the risk assessment" isEmpty={!primary} empty="Not assessed yet.">
          {primary ? (
            <>
              <p className="small muted">
                Assessed <Time value={primary.created_at} /> by {primary.created_by}; inputs{" "}
                <code className="digest">sha256:{primary.inputs_sha256}</code>
              </p>
              <RiskBreakdown headingId="risk-h" risk={primary} parallel={parallel} />
            </>
          ) : null}
        </DataState>
        {risk.isSuccess ? <RiskActions intentId={intentId} latest={primary} /> : null}
        {requests.length > 0 ? (
          <p>
            CAB:{" "}
            {requests.map((r, i) => (
              <span key={r.id}>
                {i > 0 ? ", " : ""}
                <Link to={`/cab/${r.id}`}>
                  review of pack v{r.pack_version} ({r.state})
                </Link>
              </span>
            ))}
          </p>
        ) : null}
      </section>
      <section aria-labelledby="evidence-h">
        <h2 id="evidence-h">Evidence packs</h2>
        <EvidencePackViewer intentId={intentId} />
      </section>
    </>
  );
}
