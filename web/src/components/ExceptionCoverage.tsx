import { Link } from "react-router";
import type { PolicyException } from "../api/client";
import { humanize } from "../lib/format";
import { subjectHref, versionHref } from "../lib/subjects";
import { SubjectLink } from "./SubjectLink";

type Finding = NonNullable<PolicyException["covers"]["finding"]>;
/** A covered subject the exception names but whose row is gone. */
const NOT_SHOWN = <span className="muted">no longer in the catalog</span>;

/** Severity in words as the scanners' normalised labels say it ("High"), with the CVSS score when known. */
export function severityText(f: Pick<Finding, "severity" | "score"> | undefined | null): string {
  if (!f?.severity) return "severity not known";
  const label = f.severity === "None" ? "No severity" : `${f.severity} severity`;
  return f.score ? `${label} (CVSS ${f.score})` : label;
}

/** A definition list of what the exception covers, each subject a link with its name (the API names them). */
export function ExceptionCoverage({ row }: { row: PolicyException }) {
  const c = row.covers;
  const appHref = c.application ? subjectHref("application", c.application.id) ?? "" : "";
  const versionPage = c.application && c.version ? versionHref(c.application.id, c.version.id) : appHref;
  return (
    <dl className="facts small" data-testid="exception-coverage">
      {row.artifact ? (
        <>
          <dt>Application</dt>
          <dd>{c.application ? <Link to={appHref}>{c.application.name}</Link> : NOT_SHOWN}</dd>
          <dt>Version</dt>
          <dd>{c.version ? <Link to={versionPage}>{c.version.name}</Link> : NOT_SHOWN}</dd>
          <dt>Artifact</dt>
          <dd>
            {c.artifact ? (
              <Link to={versionPage}>
                {c.artifact.filename} ({humanize(c.artifact.platform)}, {c.artifact.format.toUpperCase()})
              </Link>
            ) : (
              NOT_SHOWN
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
                {c.finding.component ? ` in ${c.finding.component} ${c.finding.installed_version}`.trimEnd() : ""}
                {c.finding.fixed_version ? `; fixed in ${c.finding.fixed_version}` : ""}
              </>
            ) : (
              "not in the artifact's current vulnerability scan"
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
        {c.intent ? <SubjectLink type="intent" id={c.intent.id} name={c.intent.name} /> : row.intent ? NOT_SHOWN : "Not tied to one intent"}
      </dd>
    </dl>
  );
}
