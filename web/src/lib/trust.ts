/** Trusted keys in words: what kind of key, whether it is in force, its validity window. */
import type { TrustedKey } from "../api/client";
import type { IconName, Tone } from "./intents";
import { formatDateTime } from "./format";

export const KEY_KIND: Record<string, string> = {
  public_key: "Public key",
  x509_root: "X.509 root certificate",
};

export function keyKind(kind: string): string {
  return KEY_KIND[kind] ?? kind.replace(/_/g, " ");
}

const ALGORITHMS: Record<string, string> = {
  ed25519: "Ed25519",
  "ecdsa-p256-sha256": "ECDSA P-256 (SHA-256)",
  "rsa-pss-sha256": "RSA-PSS (SHA-256)",
};

export function algorithmName(code: string): string {
  return ALGORITHMS[code] ?? code;
}

export type KeyStatus = "active" | "revoked" | "expired" | "not-yet-valid";

export const KEY_STATUS: Record<KeyStatus, { label: string; tone: Tone; icon: IconName }> = {
  active: { label: "Trusted", tone: "success", icon: "check" },
  revoked: { label: "Revoked", tone: "danger", icon: "cross" },
  expired: { label: "Expired", tone: "warning", icon: "clock" },
  "not-yet-valid": { label: "Not yet valid", tone: "info", icon: "clock" },
};

export function keyStatus(key: Pick<TrustedKey, "revoked_at" | "expires_at" | "not_before">, now: Date = new Date()): KeyStatus {
  if (key.revoked_at) return "revoked";
  if (key.expires_at && new Date(key.expires_at) <= now) return "expired";
  if (key.not_before && new Date(key.not_before) > now) return "not-yet-valid";
  return "active";
}

/** "From 2026-01-01 00:00 UTC until 2027-01-01 00:00 UTC" or "… with no expiry". */
export function validityText(key: Pick<TrustedKey, "expires_at" | "not_before">): string {
  const from = key.not_before ? `From ${formatDateTime(key.not_before)}` : "From when it was added";
  return key.expires_at ? `${from} until ${formatDateTime(key.expires_at)}` : `${from}, with no expiry`;
}

/** Paste or upload: the text must at least look like a PEM block; the server checks the rest. */
export function looksLikePem(text: string): boolean {
  return /-----BEGIN (PUBLIC KEY|CERTIFICATE|RSA PUBLIC KEY|EC PUBLIC KEY)-----/.test(text);
}
