/** Evidence kinds in words, detecting a file's kind, and an evidence problem as sentences. */
import type { EvidenceItem, EvidenceKind } from "../api/client";
import { ApiProblem } from "../api/problem";

export const EVIDENCE_KINDS: { kind: EvidenceKind; label: string; hint: string; required: boolean }[] = [
  { kind: "sbom", label: "SBOM", hint: "CycloneDX or SPDX JSON naming this artifact's SHA-256", required: true },
  { kind: "vulnerability_scan", label: "Vulnerability scan", hint: "Trivy, Grype or SARIF report", required: true },
  { kind: "malware_scan", label: "Malware scan", hint: "the scanner's result for this artifact", required: true },
  { kind: "signature", label: "Signature", hint: "a detached signature by a trusted key", required: true },
  { kind: "provenance", label: "Provenance", hint: "an in-toto / SLSA provenance envelope (optional)", required: false },
  { kind: "install_facts", label: "Install facts", hint: "install and uninstall commands, detection rules", required: true },
  { kind: "rollback_plan", label: "Rollback plan", hint: "the version to roll back to and how", required: true },
  { kind: "test_evidence", label: "Test evidence", hint: "lab scenarios and ring 0 results", required: true },
];

export function kindLabel(kind: string): string {
  return EVIDENCE_KINDS.find((k) => k.kind === kind)?.label ?? kind.replace(/_/g, " ");
}

type Obj = Record<string, unknown>;
const has = (doc: Obj, ...keys: string[]) => keys.every((k) => k in doc);

/** The kind a document most likely is, from its content first and its file name second; null if unsure. */
export function detectKind(filename: string, text: string): EvidenceKind | null {
  let doc: unknown = null;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = null;
  }
  if (doc && typeof doc === "object" && !Array.isArray(doc)) {
    const d = doc as Obj;
    if (d.bomFormat === "CycloneDX" || has(d, "spdxVersion")) return "sbom";
    if (has(d, "runs") || has(d, "matches") || (has(d, "SchemaVersion") && has(d, "Results"))) return "vulnerability_scan";
    if (has(d, "scanner", "target_sha256")) return "malware_scan";
    if (has(d, "payloadType", "payload")) return "provenance";
    if (has(d, "install_command") || has(d, "detection_rules")) return "install_facts";
    if (has(d, "rollback_version") || has(d, "strategies")) return "rollback_plan";
    if (has(d, "lab_scenarios") || has(d, "ring0_results")) return "test_evidence";
    if (has(d, "signature")) return "signature";
  }
  const name = filename.toLowerCase();
  if (/\.(cdx|spdx)\.json$|sbom/.test(name)) return "sbom";
  if (/\.sarif(\.json)?$|trivy|grype/.test(name)) return "vulnerability_scan";
  if (/\.(sig|p7s)$/.test(name)) return "signature";
  if (/\.intoto\.jsonl?$|provenance/.test(name)) return "provenance";
  return null;
}

const RULES: Record<string, string> = {
  missing: "is required and missing",
  required: "is required and missing",
  string_type: "must be text",
  int_type: "must be a whole number",
  int_parsing: "must be a whole number",
  float_type: "must be a number",
  bool_type: "must be true or false",
  list_type: "must be a list",
  dict_type: "must be an object",
  model_type: "must be an object",
  literal_error: "must be one of the values the format allows",
  enum: "must be one of the values the format allows",
  choice: "must be one of the values the format allows",
  extra_forbidden: "is not part of the format",
  value_error: "has a value the format does not accept",
  string_pattern_mismatch: "does not have the expected form",
  too_short: "is too short",
  too_long: "is too long",
  json_invalid: "is not valid JSON",
};

/** `file.json:$.metadata.component` → "metadata › component" (the whole document for `$`). */
export function fieldInWords(field: string): string {
  const path = field.includes(":") ? field.slice(field.lastIndexOf(":") + 1) : field;
  const parts = path
    .replace(/^\$\.?/, "")
    .split(/\.|\[(\d+)\]/)
    .filter((p) => p !== undefined && p !== "")
    .map((p) => (/^\d+$/.test(p) ? `item ${Number(p) + 1}` : p));
  return parts.length ? parts.join(" › ") : "the document";
}

export function ruleInWords(rule: string): string {
  return RULES[rule] ?? `breaks the rule "${rule.replace(/[-_]/g, " ")}"`;
}

export interface FileProblem {
  summary: string;
  issues: { field: string; words: string }[];
}

/** A refused evidence upload as sentences about this file: what is wrong, where, and what to do. */
export function evidenceProblem(error: unknown, kind: EvidenceKind): FileProblem {
  const what = kindLabel(kind);
  if (!(error instanceof ApiProblem)) return { summary: "The file could not be uploaded. Try again.", issues: [] };
  const issues = error.errors.map((e) => ({ field: fieldInWords(e.field), words: ruleInWords(e.rule) }));
  switch (error.code) {
    case "evidence-invalid":
      return { summary: `This file is not a valid ${what}. Fix what is listed and attach it again.`, issues };
    case "evidence-mismatch":
      return {
        summary: `This ${what} describes a different artifact: the SHA-256 it names is not this artifact's. Attach the one made for this file.`,
        issues: [],
      };
    case "signature-invalid":
      return { summary: "The signature does not verify with any trusted key. A Security Reviewer can register the signer's key.", issues: [] };
    case "payload-too-large":
      return { summary: "The file is larger than Fleetgate accepts for evidence.", issues: [] };
    case "forbidden":
      return { summary: "Your roles do not allow attaching evidence to this artifact.", issues: [] };
    case "network-error":
      return { summary: "Fleetgate could not be reached. Check the connection and attach the file again.", issues: [] };
    default:
      return { summary: `Fleetgate refused this ${what} (${error.title.toLowerCase()}).`, issues };
  }
}

export interface ChecklistRow {
  kind: EvidenceKind;
  label: string;
  required: boolean;
  item: EvidenceItem | undefined;
}

/** One row per evidence kind with the current item for it, if any. */
export function checklist(items: EvidenceItem[]): ChecklistRow[] {
  return EVIDENCE_KINDS.map(({ kind, label, required }) => ({
    kind,
    label,
    required,
    item: items.find((i) => i.kind === kind && i.current !== false),
  }));
}

/** A file's text (FileReader: everywhere a File exists), or "" when it cannot be read. */
export function readText(file: Blob): Promise<string> {
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(typeof reader.result === "string" ? reader.result : "");
    reader.onerror = () => resolve("");
    reader.readAsText(file);
  });
}

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

export function gapWords(rule: string, field: string): string {
  const section = field.startsWith("sections.") ? field.slice("sections.".length) : "";
  const base = CHECK_WORDS[rule] ?? `The check "${rule.replace(/-/g, " ")}" does not hold`;
  return section && rule === "sections-present" ? `${kindLabel(section)}: ${base.toLowerCase()}` : base;
}

/** The evidence kind a completeness gap's field names (`sections.<kind>[.<finding>]`), or null. */
export function gapKind(field: string): EvidenceKind | null {
  const [head, kind] = field.split(".");
  return head === "sections" && EVIDENCE_KINDS.some((k) => k.kind === kind) ? (kind as EvidenceKind) : null;
}

/** The element id of an artifact's checklist row for one kind, so a gap can link to it. */
export function gapAnchor(artifactId: string, kind: string): string {
  return `ev-${artifactId}-${kind}`;
}
