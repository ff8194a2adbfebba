/**
 * The risk rubric in words: factor names, each option code as a person would say it, where a
 * derived factor comes from, and who may do what with risk. The API keeps its codes; a code this
 * table does not know yet (a newer rubric) is shown humanised, never hidden. Pure, unit tested.
 */
import type { Me } from "../api/client";
import { humanize } from "./format";
import { hasRole } from "./permissions";

export const FACTOR_WORDS: Record<string, { name: string; question: string }> = {
  privilege_impact: { name: "Privilege impact", question: "With what rights does it install and run?" },
  supply_chain_trust: { name: "Supply-chain trust", question: "Can we trust where the package came from?" },
  exploitability: { name: "Exploitability", question: "How could an attacker reach it?" },
  data_access: { name: "Data access", question: "What data can it read or change?" },
  sbom_vulnerability: { name: "Known vulnerabilities", question: "What do the scans of its components find?" },
  blast_radius: { name: "Blast radius", question: "How many devices does it reach?" },
  operational_complexity: { name: "Operational complexity", question: "How hard is it to install on a device?" },
  history: { name: "History", question: "How did earlier rollouts of this application go?" },
};

/** Where a derived factor's value comes from (the rationale says what was found). */
export const DERIVED_FROM: Record<string, string> = {
  supply_chain_trust: "the verified signature and provenance in the evidence",
  sbom_vulnerability: "the vulnerability scan findings and approved exceptions",
  blast_radius: "the intent's largest ring (and the application's blast-radius class)",
  history: "past rollouts and incidents of this application",
};

export const OPTION_WORDS: Record<string, string> = {
  // privilege_impact
  user_context: "Runs only as the signed-in user",
  user_context_optional_admin: "Runs as the user; some features ask for admin rights",
  admin_install_user_runtime: "Installs with admin rights, runs as the user",
  admin_or_service_elevated: "Runs with admin rights or as an elevated service",
  driver_kernel_or_system_extension: "Installs a driver, kernel or system extension",
  // supply_chain_trust
  signed_known_publisher_with_provenance: "Signed by a known publisher, build provenance verified",
  signed_known_publisher_weak_provenance: "Signed by a known publisher, weak or unverified provenance",
  signed_unknown_publisher: "Signed, but the publisher is not verified",
  unsigned_or_self_signed: "Unsigned or self-signed",
  unsigned_uncertain_provenance: "Unsigned, and where it came from is uncertain",
  // exploitability
  no_listener_no_scripting: "No network listener, no scripting",
  user_space_listener: "Listens on the network as the user",
  embedded_scripting_or_macros: "Runs embedded scripts or macros",
  listener_and_scripting: "Listens on the network and runs scripts",
  privileged_listener_or_elevated_service: "Listens on the network with elevated rights",
  // data_access
  own_data_directory: "Only its own data folder",
  user_documents_read: "Reads the user's documents",
  user_profile_read_write: "Reads and writes the user's profile",
  credential_store: "Reaches the credential store",
  wide_filesystem_and_credentials: "Wide file-system access, including credentials",
  // sbom_vulnerability
  no_high_or_critical: "No high or critical vulnerability",
  low_medium_only: "Only low or medium vulnerabilities",
  high_with_exception: "High vulnerabilities, covered by an approved exception",
  critical_with_exception: "Critical vulnerabilities, covered by an approved exception",
  critical_without_exception_blocked: "Critical vulnerabilities with no exception (blocked)",
  // blast_radius
  under_10_devices: "Fewer than 10 devices",
  under_100: "Fewer than 100 devices",
  under_1000: "Fewer than 1,000 devices",
  "1000_to_10000": "1,000 to 10,000 devices",
  over_10000: "More than 10,000 devices",
  // operational_complexity
  online_no_reboot_under_5_min: "Online, no reboot, under 5 minutes",
  install_5_to_15_min: "Takes 5 to 15 minutes to install",
  reboot_required: "Needs a reboot",
  reboot_and_sequencing: "Needs a reboot and a set install order",
  offline_import_reboot_and_sequencing: "Offline import, a reboot and a set install order",
  // history
  no_incidents_over_99_percent_success: "No incidents, over 99 % of installs succeeded",
  minor_under_5_percent_failure_easy_rollback: "Minor problems: under 5 % failed, easy to roll back",
  moderate_5_to_10_percent_failure: "Moderate problems: 5 to 10 % failed",
  major_over_10_percent_failure_hard_rollback: "Major problems: over 10 % failed, hard to roll back",
  prior_security_incident: "Had a security incident before",
  no_history: "No earlier rollouts yet",
};

export function factorName(code: string): string {
  return FACTOR_WORDS[code]?.name ?? humanize(code);
}

export function optionWords(code: string | null | undefined): string {
  if (!code) return "—";
  return OPTION_WORDS[code] ?? humanize(code);
}

/** Options of a factor as [code, words, value], lowest value first (the rubric's order breaks ties). */
export function optionsInWords(options: Record<string, string | number>): [string, string, string][] {
  return Object.entries(options)
    .map(([code, value], i) => ({ code, value: String(value), i }))
    .sort((a, b) => Number(a.value) - Number(b.value) || a.i - b.i)
    .map(({ code, value }) => [code, optionWords(code), value]);
}

export const MIN_JUSTIFICATION = 10; // the server's rule (risk services)

/** Declared factors come from Packaging Engineers and Security Reviewers in the intent's scope. */
export function canAssess(user: Me | null | undefined): boolean {
  return hasRole(user, "packaging_engineer", "security_reviewer");
}

export function canReplay(user: Me | null | undefined): boolean {
  return hasRole(user, "auditor", "security_reviewer", "cab_approver", "platform_admin");
}

export function canProposeRubric(user: Me | null | undefined): boolean {
  return hasRole(user, "security_reviewer");
}

export function canReviewRubric(user: Me | null | undefined): boolean {
  return hasRole(user, "cab_approver");
}

export const RUBRIC_STATE: Record<string, { label: string; icon: "pencil" | "clock" | "check" | "cross" | "dot"; tone: "neutral" | "info" | "success" | "danger" | "warning" }> = {
  proposed: { label: "Proposed, awaiting CAB", icon: "pencil", tone: "warning" },
  parallel: { label: "Scored in parallel", icon: "clock", tone: "info" },
  active: { label: "Active", icon: "check", tone: "success" },
  retired: { label: "Retired", icon: "dot", tone: "neutral" },
  rejected: { label: "Rejected", icon: "cross", tone: "danger" },
};

/**
 * Why the signed-in person may not approve, activate or reject this rubric version, in words (null: they
 * may). Mirrors the server's rules (the CAB Approver role, separation of duties); the server still decides.
 */
export function rubricReviewBarrier(user: Me | null | undefined, proposedBy: string | null | undefined): string | null {
  if (!canReviewRubric(user)) return "Only a CAB Approver approves, activates or rejects a rubric version.";
  if (proposedBy && user && proposedBy === user.username)
    return "You proposed this version, so another CAB Approver reviews it (separation of duties).";
  return null;
}
