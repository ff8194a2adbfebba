/**
 * Shared pieces of the evidence, risk, CAB, exception and connector screens: badges that carry
 * text + icon (colour is only a third cue), the risk breakdown table and a verification check list.
 */
import type { IconName, Tone } from "../lib/intents";
import { humanize } from "../lib/format";
import { factorName, optionWords } from "../lib/risk";
import { Icon } from "./Icon";
import { Table } from "./Table";

export function Badge({ tone, icon, label, data }: { tone: Tone; icon: IconName; label: string; data?: string }) {
  return (
    <span className={`badge tone-${tone}`} data-badge={data ?? label}>
      <Icon name={icon} />
      <span>{label}</span>
    </span>
  );
}

/**
 * What Fleetgate checked itself (signature, provenance, derived risk factors) versus what someone
 * only declared (SBOM contents, install facts, declared risk factors).
 */
export function SourceBadge({ verified }: { verified: boolean }) {
  return verified ? (
    <Badge tone="success" icon="check" label="Verified" data="verified" />
  ) : (
    <Badge tone="neutral" icon="pencil" label="Declared" data="declared" />
  );
}

export function OkBadge({ ok, yes = "Passed", no = "Failed" }: { ok: boolean; yes?: string; no?: string }) {
  return ok ? <Badge tone="success" icon="check" label={yes} /> : <Badge tone="danger" icon="cross" label={no} />;
}

export interface Factor {
  option?: string;
  value?: string | number;
  source?: string;
  rationale?: string;
  weight?: string | number;
  contribution?: string | number;
}

export interface RiskLike {
  score?: number;
  raw?: string;
  cab_required?: boolean;
  rubric_version?: string;
  reasons?: unknown;
  factors?: unknown;
  parallel?: { score?: number; rubric_version?: string } | null;
}

function factorsOf(value: unknown): [string, Factor][] {
  if (!value || typeof value !== "object") return [];
  return Object.entries(value as Record<string, Factor>);
}

/** Score, CAB required and why, every factor with its option, value, weight and contribution. */
export function RiskBreakdown({ risk, headingId, parallel }: { risk: RiskLike; headingId: string; parallel?: RiskLike | null }) {
  const reasons = Array.isArray(risk.reasons) ? (risk.reasons as unknown[]).map(String) : [];
  const factors = factorsOf(risk.factors);
  const par = parallel ?? risk.parallel ?? null;
  return (
    <div className="risk-breakdown" data-testid="risk-breakdown">
      <dl className="facts">
        <dt>Score</dt>
        <dd>
          <strong data-testid="risk-score">{risk.score ?? "—"}</strong> / 100
          {risk.raw ? <span className="small muted"> (raw {risk.raw})</span> : null}
        </dd>
        <dt>CAB</dt>
        <dd>
          {risk.cab_required ? (
            <Badge tone="warning" icon="alert" label="CAB required" />
          ) : (
            <Badge tone="success" icon="check" label="CAB not required" />
          )}
          {reasons.length > 0 ? <span> — {reasons.join("; ")}</span> : null}
        </dd>
        <dt>Rubric</dt>
        <dd>v{risk.rubric_version ?? "—"}</dd>
        {par ? (
          <>
            <dt>Parallel scoring</dt>
            <dd>
              {par.score ?? "—"} / 100 under rubric v{par.rubric_version ?? "—"}
            </dd>
          </>
        ) : null}
      </dl>
      <Table
        caption="Risk factors"
        toolbar={false}
        rows={factors}
        rowKey={([name]) => name}
        rowData={([name]) => ({ "data-factor": name })}
        columns={[
          { label: "Factor", rowHeader: true, cell: ([name]) => factorName(name) },
          {
            label: "Source",
            cell: ([, f]) =>
              f.source === "derived" ? (
                <Badge tone="success" icon="check" label="Derived" data="derived" />
              ) : (
                <Badge tone="neutral" icon="pencil" label="Declared" data="declared" />
              ),
          },
          { label: "Option", cell: ([, f]) => <span title={f.option}>{optionWords(f.option)}</span> },
          { label: "Value", className: "num", cell: ([, f]) => f.value ?? "—" },
          { label: "Weight", className: "num", cell: ([, f]) => f.weight ?? "—" },
          { label: "Contribution", className: "num", cell: ([, f]) => f.contribution ?? "—" },
          { label: "Rationale", cell: ([, f]) => f.rationale || "—" },
        ]}
      />
      <p className="small muted" id={`${headingId}-note`}>
        Derived factors are computed by Fleetgate from verified evidence and the intent; declared factors were chosen by a
        person with the justification shown.
      </p>
    </div>
  );
}

export function CheckList({ checks }: { checks: { name: string; ok: boolean; message?: string }[] }) {
  return (
    <ul className="steps check-list">
      {checks.map((c) => (
        <li key={c.name} data-check={c.name} data-ok={c.ok ? "true" : "false"}>
          <OkBadge ok={c.ok} /> <strong>{humanize(c.name)}</strong>
          {c.message ? <span> — {c.message}</span> : null}
        </li>
      ))}
    </ul>
  );
}
