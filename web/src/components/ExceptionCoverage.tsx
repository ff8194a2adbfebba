import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { Link } from "react-router";
import { api, type PolicyException } from "../api/client";
import { humanize } from "../lib/format";

type Finding = { id?: string; severity?: string; score?: string | null; component?: string; installed_version?: string; fixed_version?: string };

/** Severity in words as the scanners' normalised labels say it ("High"), with the CVSS score when known. */
export function severityText(f: Finding | undefined): string {
  if (!f?.severity) return "severity not known";
  const label = f.severity === "None" ? "No severity" : `${f.severity} severity`;
  return f.score ? `${label} (CVSS ${f.score})` : label;
}

/** The finding named by an exception's subject in the artifact's current vulnerability scan. */
export function findingOf(summary: unknown, id: string): Finding | undefined {
  const list = (summary as { findings?: unknown } | null)?.findings;
  if (!Array.isArray(list)) return undefined;
  return (list as Finding[]).find((f) => f && f.id === id);
}

/** What an exception covers, resolved from ids to names: application, version, artifact, finding, intent. */
export function useCoverage(row: PolicyException) {
  const artifactId = row.artifact ?? "";
  const artifact = useQuery({ queryKey: ["artifact", artifactId], queryFn: () => api.artifacts.get(artifactId), enabled: !!artifactId, staleTime: 300_000 });
  const versionId = artifact.data?.version ?? "";
  const version = useQuery({ queryKey: ["version", versionId], queryFn: () => api.versions.get(versionId), enabled: !!versionId, staleTime: 300_000 });
  const appId = version.data?.application ?? "";
  const app = useQuery({ queryKey: ["application", appId], queryFn: () => api.applications.get(appId), enabled: !!appId, staleTime: 300_000 });
  const intentId = row.intent ?? "";
  const intent = useQuery({ queryKey: ["intent", intentId], queryFn: () => api.intents.get(intentId), enabled: !!intentId, staleTime: 60_000 });
  const isVuln = row.kind === "vulnerability" && !!artifactId && !!row.subject;
  const scan = useQuery({
    queryKey: ["evidence", { artifact: artifactId, kind: "vulnerability_scan", current: true }],
    queryFn: () => api.evidence.list({ artifact: artifactId, kind: "vulnerability_scan", current: true }),
    enabled: isVuln,
    staleTime: 60_000,
  });
  const finding = isVuln ? (scan.data?.results ?? []).map((e) => findingOf(e.summary, row.subject)).find(Boolean) : undefined;
  const failed = [artifact, version, app, intent, scan].some((q) => q.isError);
  const loading = [artifact, version, app, intent, scan].some((q) => q.isLoading);
  return { artifact: artifact.data, version: version.data, app: app.data, intent: intent.data, finding, scanLoaded: scan.isSuccess, failed, loading };
}

/** A definition list of what the exception covers, each subject a link with its name. */
export function ExceptionCoverage({ row }: { row: PolicyException }) {
  const c = useCoverage(row);
  const appHref = c.app ? `/applications/${c.app.id}` : "";
  const versionHref = c.app && c.version ? `${appHref}#v-${c.version.id}` : "";
  const pending = <span className="muted">looking up…</span>;
  const unknown = <span className="muted">not shown to you</span>;
  const name = (ready: boolean, node: ReactNode) => (ready ? node : c.loading ? pending : unknown);
  return (
    <dl className="facts small" data-testid="exception-coverage">
      {row.artifact ? (
        <>
          <dt>Application</dt>
          <dd>{name(!!c.app, c.app ? <Link to={appHref}>{c.app.name}</Link> : null)}</dd>
          <dt>Version</dt>
          <dd>{name(!!c.version && !!c.app, c.version ? <Link to={versionHref}>{c.version.version}</Link> : null)}</dd>
          <dt>Artifact</dt>
          <dd>
            {name(
              !!c.artifact && !!c.app,
              c.artifact ? (
                <Link to={versionHref || appHref}>
                  {c.artifact.filename} ({humanize(c.artifact.platform)}, {c.artifact.format.toUpperCase()})
                </Link>
              ) : null,
            )}
          </dd>
        </>
      ) : null}
      {row.kind === "vulnerability" ? (
        <>
          <dt>Finding</dt>
          <dd>
            {/^CVE-\d{4}-\d+$/.test(row.subject) ? (
              <a href={`https://www.cve.org/CVERecord?id=${encodeURIComponent(row.subject)}`} target="_blank" rel="noreferrer">
                {row.subject}
                <span className="sr-only"> (the CVE record, opens in a new tab)</span>
              </a>
            ) : (
              row.subject
            )}
            {", "}
            {c.finding ? (
              <>
                {severityText(c.finding)}
                {c.finding.component ? ` in ${c.finding.component} ${c.finding.installed_version ?? ""}`.trimEnd() : ""}
                {c.finding.fixed_version ? `; fixed in ${c.finding.fixed_version}` : ""}
              </>
            ) : c.scanLoaded || !row.artifact ? (
              "not in the artifact's current vulnerability scan"
            ) : (
              pending
            )}
          </dd>
        </>
      ) : row.subject ? (
        <>
          <dt>{row.kind === "gate_override" ? "Gate" : row.kind === "scope" ? "Scope" : "Subject"}</dt>
          <dd>{row.subject}</dd>
        </>
      ) : null}
      <dt>Intent</dt>
      <dd>
        {row.intent
          ? name(!!c.intent, c.intent ? <Link to={`/intents/${c.intent.id}`}>{c.intent.name}</Link> : null)
          : "Not tied to one intent"}
      </dd>
    </dl>
  );
}
