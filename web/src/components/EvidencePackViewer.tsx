import { useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, type EvidencePack } from "../api/client";
import { formatBytes, humanize } from "../lib/format";
import { AssistantPanel, evidenceAssistantActions } from "./AssistantPanel";
import { DataState } from "./DataState";
import { Badge, CheckList, OkBadge, SourceBadge } from "./Governance";
import { ProblemAlert } from "./ProblemAlert";
import { Time } from "./Time";
import { Table } from "./Table";

/** The sections a complete pack carries; a missing one is listed as a gap. */
export const EXPECTED_SECTIONS = [
  "sbom",
  "vulnerability_scan",
  "malware_scan",
  "signature",
  "provenance",
  "install_facts",
  "rollback_plan",
  "test_evidence",
] as const;
/** Sections that may be absent without breaking completeness (provenance is optional in rubric v1.0). */
const OPTIONAL = new Set<string>(["provenance"]);
const SEVERITIES = ["Critical", "High", "Medium", "Low", "None"] as const;

type Obj = Record<string, unknown>;
interface SectionItem {
  evidence_id?: string;
  filename?: string;
  format?: string;
  status?: string;
  added_at?: string;
  document_sha256?: string;
  summary?: Obj;
}
interface PackDocument {
  body?: {
    sections?: Record<string, SectionItem[]>;
    artifact?: Obj;
    exceptions?: unknown[];
    cab_submission?: { required?: boolean; present?: boolean };
    rollout_plan?: { ring?: string; target_group?: string; device_count?: number }[];
  };
  seal?: Obj;
}

const obj = (v: unknown): Obj => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (v === null || v === undefined || v === "" ? "—" : String(v));

/** Verified means Fleetgate checked it itself (signature, provenance); everything else is as declared. */
export function isVerified(item: SectionItem): boolean {
  return item.status === "verified" || obj(item.summary).verified === true;
}

/** Gaps a reader can see from the sealed document: expected sections that are absent. */
export function sectionGaps(sections: Record<string, unknown[]> | undefined): string[] {
  const present = sections ?? {};
  return EXPECTED_SECTIONS.filter((s) => !OPTIONAL.has(s) && arr(present[s]).length === 0);
}

function SectionSummary({ name, summary }: { name: string; summary: Obj }) {
  switch (name) {
    case "sbom": {
      const components = arr(summary.components).map(obj);
      const licences = [...new Set(components.flatMap((c) => arr(c.licenses).map(String)))];
      return (
        <>
          <p>
            {str(summary.format)} · <strong>{str(summary.component_count ?? components.length)}</strong> components ·
            licences: {licences.length ? licences.join(", ") : "none stated"}
          </p>
          {components.length ? (
            <ul className="small">
              {components.slice(0, 20).map((c) => (
                <li key={`${str(c.name)}-${str(c.version)}`}>
                  {str(c.name)} {str(c.version)} {c.purl ? <code>{String(c.purl)}</code> : null}
                </li>
              ))}
              {components.length > 20 ? <li>… and {components.length - 20} more</li> : null}
            </ul>
          ) : null}
        </>
      );
    }
    case "vulnerability_scan": {
      const counts = obj(summary.counts);
      const findings = arr(summary.findings).map(obj);
      return (
        <>
          <p>
            {str(obj(summary.tool).name ?? summary.format)} ·{" "}
            {SEVERITIES.map((s) => `${s}: ${Number(counts[s] ?? 0)}`).join(" · ")}
            {Number(summary.blocking ?? 0) > 0 ? (
              <>
                {" "}
                <Badge tone="danger" icon="alert" label={`${String(summary.blocking)} blocking`} />
              </>
            ) : null}
          </p>
          {findings.length ? (
            <Table
              caption="Vulnerability findings"
              toolbar={false}
              rows={findings}
              rowKey={(f) => `${str(f.id)}-${str(f.component)}`}
              columns={[
                { label: "Finding", cell: (f) => str(f.id) },
                { label: "Severity", cell: (f) => `${str(f.severity)} (${str(f.score)})` },
                { label: "Component", cell: (f) => `${str(f.component)} ${str(f.installed_version)}` },
                { label: "Fixed in", cell: (f) => str(f.fixed_version) },
              ]}
            />
          ) : null}
        </>
      );
    }
    case "malware_scan":
      return (
        <p>
          {str(summary.scanner)} {str(summary.scanner_version)} · result: <strong>{str(summary.result)}</strong>
        </p>
      );
    case "signature":
      return (
        <p>
          {str(summary.type)} {str(summary.algorithm)} by {str(summary.signer ?? summary.publisher)} · key{" "}
          <code>{str(summary.key_id)}</code> · over digest <code className="digest">{str(summary.signed_digest)}</code>
        </p>
      );
    case "install_facts": {
      const codes = obj(summary.exit_codes);
      return (
        <dl className="facts">
          <dt>Install</dt>
          <dd>
            <code>{str(summary.install_command)}</code>
          </dd>
          <dt>Uninstall</dt>
          <dd>
            <code>{str(summary.uninstall_command)}</code>
          </dd>
          <dt>Detection</dt>
          <dd>{arr(summary.detection_rules).map(detectionRule).join("; ") || "—"}</dd>
          <dt>Exit codes</dt>
          <dd>{Object.entries(codes).map(([k, v]) => `${k} ${humanize(String(v))}`).join(", ") || "—"}</dd>
          <dt>Reboot</dt>
          <dd>{humanize(String(summary.reboot ?? ""))}</dd>
          <dt>Install time</dt>
          <dd>{summary.install_time_seconds ? `${String(summary.install_time_seconds)} s` : "—"}</dd>
        </dl>
      );
    }
    case "rollback_plan":
      return (
        <p>
          Strategies:{" "}
          {Object.entries(obj(summary.strategies)).map(([plane, s]) => `${plane} ${humanize(String(s))}`).join(", ") || "—"}{" "}
          · to version {str(summary.rollback_version)} ·{" "}
          {summary.validated ? (
            <Badge tone="success" icon="check" label="Validated in Lab" />
          ) : (
            <Badge tone="warning" icon="alert" label="Not validated" />
          )}
        </p>
      );
    case "test_evidence": {
      const ring0 = obj(summary.ring0_results);
      return (
        <p>
          Lab:{" "}
          {arr(summary.lab_scenarios)
            .map(obj)
            .map((s) => `${str(s.name)} ${str(s.result)}`)
            .join(", ") || "—"}{" "}
          · Ring 0: {str(ring0.succeeded)} of {str(ring0.attempted)} succeeded, {str(ring0.failed)} failed
        </p>
      );
    }
    default:
      return <pre className="small">{JSON.stringify(summary, null, 2).slice(0, 1200)}</pre>;
  }
}

function PackDetail({ pack }: { pack: EvidencePack }) {
  const doc = useQuery({
    queryKey: ["evidence-pack", pack.id, "document"],
    queryFn: () => api.evidencePacks.download(pack.id) as Promise<PackDocument>,
    staleTime: Infinity, // a sealed pack never changes
  });
  const verify = useMutation({ mutationFn: () => api.evidencePacks.verify(pack.id) });
  const [saved, setSaved] = useState("");
  const save = useMutation({
    mutationFn: () => api.evidencePacks.downloadBlob(pack.id),
    onSuccess: (blob) => {
      const name = `evidence-pack-${pack.intent_name ?? pack.intent}-v${pack.version}.json`;
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setSaved(`Saved ${blob.size.toLocaleString("en-US")} bytes as ${name}.`);
    },
  });
  const body = doc.data?.body;
  const sections = body?.sections ?? {};
  const gaps = sectionGaps(sections);
  const report = verify.data;
  return (
    <>
      <dl className="facts">
        <dt>Pack version</dt>
        <dd>v{pack.version}</dd>
        <dt>Content address</dt>
        <dd>
          <code className="digest">sha256:{pack.sha256}</code>
        </dd>
        <dt>Sealed</dt>
        <dd>
          <Time value={pack.sealed_at} /> by {pack.sealed_by} with key <code>{pack.key_id}</code>
        </dd>
      </dl>
      <div className="form-actions">
        <button type="button" className="btn btn-primary" onClick={() => verify.mutate()} disabled={verify.isPending}>
          {verify.isPending ? "Verifying…" : "Verify pack"}
        </button>
        <button type="button" className="btn" onClick={() => save.mutate()} disabled={save.isPending}>
          Download sealed JSON
        </button>
        <span className="muted" role="status">
          {saved}
        </span>
      </div>
      {verify.error ? <ProblemAlert error={verify.error} /> : null}
      {save.error ? <ProblemAlert error={save.error} /> : null}
      {report ? (
        <div className={`alert ${report.ok ? "alert-success" : "alert-error"} pack-verify-result`} data-ok={String(report.ok)} role="status">
          <p className="alert-title">
            <strong>{report.ok ? "Pack verified: seal, content address and evidence all check out." : `Verification failed at: ${humanize(report.failed_check ?? "")}`}</strong>
          </p>
          <CheckList checks={report.checks} />
        </div>
      ) : null}
      <DataState query={doc} label="the sealed pack">
        <h3>Completeness</h3>
        {gaps.length === 0 ? (
          <p data-testid="pack-gaps">
            <Badge tone="success" icon="check" label="No gaps" /> Every required section is present
            {body?.cab_submission?.required ? "; the CAB submission is attached" : ""}.
          </p>
        ) : (
          <ul data-testid="pack-gaps">
            {gaps.map((g) => (
              <li key={g}>
                <Badge tone="danger" icon="cross" label="Missing" /> {humanize(g)}
              </li>
            ))}
          </ul>
        )}
        {body?.artifact ? (
          <p className="small">
            Artifact {str(body.artifact.filename)} ({formatBytes(Number(body.artifact.size))}),{" "}
            <code className="digest">sha256:{str(body.artifact.sha256)}</code>
          </p>
        ) : null}
        <h3>Sections</h3>
        <ul className="steps pack-sections">
          {EXPECTED_SECTIONS.map((name) => {
            const items = sections[name] ?? [];
            return (
              <li key={name} className="card" data-section={name}>
                <h4>
                  {humanize(name)}{" "}
                  {items.length === 0 ? (
                    OPTIONAL.has(name) ? (
                      <Badge tone="neutral" icon="dash" label="Not supplied (optional)" />
                    ) : (
                      <Badge tone="danger" icon="cross" label="Missing" />
                    )
                  ) : null}
                </h4>
                {items.map((item) => (
                  <div key={item.evidence_id ?? item.document_sha256}>
                    <p className="small">
                      <SourceBadge verified={isVerified(item)} /> {item.filename} · {item.format} · added{" "}
                      <Time value={item.added_at} />
                    </p>
                    <SectionSummary name={name} summary={obj(item.summary)} />
                  </div>
                ))}
              </li>
            );
          })}
          <li className="card" data-section="rollout_plan">
            <h4>
              Rollout plan <SourceBadge verified={false} />
            </h4>
            <p>
              {(body?.rollout_plan ?? []).map((r) => `${humanize(r.ring)} ${r.device_count ?? "?"} devices`).join(" → ") || "—"}
            </p>
          </li>
        </ul>
      </DataState>
    </>
  );
}

/** The sealed evidence packs of one intent: pick a version, read each section, verify, download. */
export function EvidencePackViewer({ intentId }: { intentId: string }) {
  const packs = useQuery({
    queryKey: ["evidence-packs", { intent: intentId }],
    queryFn: () => api.evidencePacks.list({ intent: intentId }),
  });
  const rows = [...(packs.data?.results ?? [])].sort((a, b) => b.version - a.version);
  const [selected, setSelected] = useState<string>("");
  useEffect(() => {
    if (!selected && rows[0]) setSelected(rows[0].id);
  }, [selected, rows]);
  const pack = rows.find((p) => p.id === selected) ?? rows[0];
  return (
    <DataState
      query={packs}
      label="evidence packs"
      isEmpty={rows.length === 0}
      empty="No sealed evidence pack yet. A Packaging Engineer seals one when the evidence is complete; the gaps are listed when sealing or submitting is refused."
    >
      {rows.length > 1 ? (
        <div className="field">
          <label htmlFor={`pack-${intentId}`}>Pack version</label>
          <select id={`pack-${intentId}`} value={pack?.id} onChange={(e) => setSelected(e.target.value)}>
            {rows.map((p, i) => (
              <option key={p.id} value={p.id}>
                v{p.version}
                {i === 0 ? " (current)" : " (superseded)"}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      {pack ? <PackDetail key={pack.id} pack={pack} /> : null}
      {pack ? (
        <AssistantPanel
          key={`assistant-${pack.id}`}
          subject={`evidence pack v${pack.version}`}
          actions={evidenceAssistantActions(pack.id)}
        />
      ) : null}
      {pack && rows[0] && pack.id !== rows[0].id ? (
        <p>
          <OkBadge ok={false} no="Superseded" /> A newer pack version exists; approvals that referenced this version are void.
        </p>
      ) : null}
    </DataState>
  );
}

const RULE_KINDS: Record<string, string> = {
  file: "File",
  registry: "Registry value",
  product_code: "MSI product code",
  script: "Detection script",
  macos_bundle: "macOS app bundle",
};

/** A detection rule in words: its kind, then what it looks for. */
export function detectionRule(rule: unknown): string {
  const r = obj(rule);
  const text = (v: unknown) => (v === null || v === undefined ? "" : String(v));
  const kind = RULE_KINDS[text(r.type)] ?? text(r.type);
  const what = r.path ?? r.key ?? r.product_code ?? (r.bundle_id ? `${text(r.bundle_id)} ${text(r.bundle_version)}` : "");
  return `${kind} ${text(what)}`.trim();
}
