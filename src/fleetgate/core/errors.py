"""Typed domain errors. Each maps to one RFC 9457 problem type with a stable code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldIssue:
    field: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": self.message}


class DomainError(Exception):
    status = 400
    code = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, errors: list[FieldIssue] | None = None, **extra: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra


class ValidationFailed(DomainError):
    status, code, title = 400, "validation-error", "The request is not valid"


class NotFound(DomainError):
    status, code, title = 404, "not-found", "Not found"


class Forbidden(DomainError):
    status, code, title = 403, "forbidden", "You may not do this"


class ScopeViolation(Forbidden):
    code, title = "scope-violation", "Target is outside your scope"


class SeparationOfDuties(Forbidden):
    code, title = "separation-of-duties", "Separation of duties"


class InvalidTransition(DomainError):
    status, code, title = 409, "invalid-transition", "Transition not allowed from the current state"


class Conflict(DomainError):
    status, code, title = 409, "conflict", "Conflict with the current state"


class LastPlatformAdmin(Conflict):
    code, title = "last-platform-admin", "This would leave nobody able to administer Fleetgate"


class RoleConflict(Forbidden):
    code, title = "role-conflict", "These roles cannot be held by one person"


class AccountLocked(DomainError):
    status, code, title = 423, "account-locked", "The account is locked after repeated failed sign-ins"


class LocalLoginDisabled(Forbidden):
    code, title = "local-login-disabled", "Password sign-in is switched off; sign in through single sign-on"


class ActiveChangeConflict(Conflict):
    code, title = "active-change-conflict", "Another change is active for this application and ring"


class PreconditionFailed(DomainError):
    status, code, title = 412, "stale-etag", "The resource changed since you read it"


class PreconditionRequired(DomainError):
    status, code, title = 428, "precondition-required", "If-Match header required"


class PayloadTooLarge(DomainError):
    status, code, title = 413, "payload-too-large", "Payload too large"


class EvidenceInvalid(ValidationFailed):
    """An uploaded evidence file breaks its format: each error names the file, the path inside it and the rule."""

    status, code, title = 422, "evidence-invalid", "The evidence file is not valid"


class EvidenceMismatch(DomainError):
    """Evidence that describes some other artifact (digest, subject or target does not match)."""

    status, code, title = 422, "evidence-mismatch", "The evidence does not belong to this artifact"


class SignatureInvalid(DomainError):
    status, code, title = 422, "signature-invalid", "The signature could not be verified"


class EvidenceIncomplete(DomainError):
    """Sealing refused: every failed completeness check is listed in `errors` (field = the check)."""

    status, code, title = 409, "evidence-incomplete", "The evidence pack is incomplete"


class PackVerificationFailed(DomainError):
    status, code, title = 409, "pack-verification-failed", "The evidence pack does not verify"


class ReplayMismatch(DomainError):
    status, code, title = 409, "replay-mismatch", "Recomputing the assessment gave a different result"


class PlaneUnavailable(DomainError):
    status, code, title = 503, "plane-unavailable", "The execution plane is unavailable; retry later"


class PlaneRejected(DomainError):
    status, code, title = 502, "plane-rejected", "The execution plane refused the request"


class PlanePolicyViolation(Forbidden):
    code, title = "plane-policy-violation", "The execution plane refused on policy or scope"


class SecretsUnreadable(DomainError):
    status, code, title = 409, "secrets-unreadable", "Stored secrets cannot be decrypted with the configured key"


class RiskNotAssessed(DomainError):
    status, code, title = 409, "risk-not-assessed", "The intent has no usable risk assessment"


class RequestClosed(Conflict):
    code, title = "request-closed", "The request is closed; no further decisions are accepted"


class AlreadyRevoked(Conflict):
    code, title = "already-revoked", "The approval was revoked already"


class ApprovalExpired(Conflict):
    code, title = "approval-expired", "The approval has expired"


class MalwareNotExceptable(DomainError):
    status, code, title = 422, "malware-not-exceptable", "Malware findings can never be excepted"


class NoRoute(Conflict):
    code, title = "no-route", "No execution plane serves this artifact in the intent's boundary"


class GateNotMet(Conflict):
    code, title = "gate-not-met", "A promotion gate is not met"
