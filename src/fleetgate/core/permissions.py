"""The single place that decides who may do what. Default deny.

An action is allowed when the actor holds one of the action's roles and, for scoped objects,
that role's grant covers the object's scope. Non-human actors have fixed rights and no roles.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from fleetgate.core.actors import Actor
from fleetgate.core.errors import Forbidden, ScopeViolation
from fleetgate.core.roles import Role, Scope

R = Role
EVERY_ROLE = frozenset(Role)

RULES: dict[str, frozenset[Role]] = {
    # catalog
    "application.view": EVERY_ROLE,
    "application.create": frozenset({R.PLATFORM_ADMIN, R.PACKAGING_ENGINEER}),
    "application.update": frozenset({R.PLATFORM_ADMIN, R.PACKAGING_ENGINEER}),
    "application.classify": frozenset({R.PLATFORM_ADMIN, R.SECURITY_REVIEWER}),
    "version.create": frozenset({R.PACKAGING_ENGINEER}),
    "artifact.upload": frozenset({R.PACKAGING_ENGINEER}),
    # intents
    "intent.view": EVERY_ROLE,
    "intent.create": frozenset({R.PUBLISHER}),
    "intent.update": frozenset({R.PUBLISHER}),
    "intent.submit": frozenset({R.PUBLISHER}),
    "intent.cancel": frozenset({R.PUBLISHER}),
    # ledger: everybody signed in may read it; verifying and exporting is for oversight roles
    "ledger.view": EVERY_ROLE,
    "ledger.verify": frozenset({R.AUDITOR, R.PLATFORM_ADMIN, R.SECURITY_REVIEWER}),
    "ledger.export": frozenset({R.AUDITOR, R.PLATFORM_ADMIN, R.SECURITY_REVIEWER}),
    "ledger.checkpoint": frozenset({R.PLATFORM_ADMIN}),
    # people and credentials
    "user.view": frozenset({R.PLATFORM_ADMIN, R.AUDITOR}),
    "user.manage": frozenset({R.PLATFORM_ADMIN}),
    "token.manage": frozenset({R.PLATFORM_ADMIN}),
    "token.view": frozenset({R.PLATFORM_ADMIN, R.AUDITOR}),  # everybody's tokens' metadata (own: everyone)
    "role_grant.request": frozenset({R.PLATFORM_ADMIN}),
    "role_grant.approve": frozenset({R.PLATFORM_ADMIN}),
    # single sign-on: which provider groups / app roles give which role (evaluated at every sign-in)
    "sso.mapping.view": frozenset({R.PLATFORM_ADMIN, R.AUDITOR}),
    "sso.mapping.manage": frozenset({R.PLATFORM_ADMIN}),
    "metrics.view": frozenset({R.PLATFORM_ADMIN, R.AUDITOR}),
    "policy.view": EVERY_ROLE,
    # evidence: packaging engineers attach and seal; security reviewers own the trusted keys
    "evidence.view": EVERY_ROLE,
    "evidence.add": frozenset({R.PACKAGING_ENGINEER}),
    "evidence.seal": frozenset({R.PACKAGING_ENGINEER}),
    "evidence.verify": EVERY_ROLE,
    "signing_key.manage": frozenset({R.SECURITY_REVIEWER}),
    # risk: declared factors come from the people who know the package; the rubric is governed
    "risk.view": EVERY_ROLE,
    "risk.assess": frozenset({R.PACKAGING_ENGINEER, R.SECURITY_REVIEWER}),
    "risk.verify": frozenset({R.AUDITOR, R.SECURITY_REVIEWER, R.CAB_APPROVER, R.PLATFORM_ADMIN}),
    "rubric.propose": frozenset({R.SECURITY_REVIEWER}),
    "rubric.approve": frozenset({R.CAB_APPROVER}),
    # CAB: packaging engineers write the change request; approvers decide (never on their own
    # change: separation of duties is checked in approvals services on top of these rules)
    "cab.view": EVERY_ROLE,
    "cab.submission.create": frozenset({R.PACKAGING_ENGINEER}),
    "cab.decide": frozenset({R.CAB_APPROVER}),
    "cab.revoke": frozenset({R.PLATFORM_ADMIN}),
    # the discussion on a request: everyone who takes part in a change (Auditors only read)
    "cab.comment": EVERY_ROLE - {R.AUDITOR},
    # exceptions: requested by the people who ship, approved by security (+ CAB for scope/gates)
    "exception.view": EVERY_ROLE,
    "exception.request": frozenset({R.PACKAGING_ENGINEER, R.PUBLISHER}),
    "exception.approve": frozenset({R.SECURITY_REVIEWER}),
    "exception.cab_approve": frozenset({R.CAB_APPROVER}),
    "exception.extend": frozenset({R.SECURITY_REVIEWER}),
    # break-glass: dual control, then a CAB member reviews
    "breakglass.view": EVERY_ROLE,
    "breakglass.request": frozenset({R.PUBLISHER, R.SECURITY_REVIEWER, R.ENDPOINT_OPS}),
    "breakglass.confirm": frozenset({R.SECURITY_REVIEWER, R.CAB_APPROVER}),
    "breakglass.review": frozenset({R.CAB_APPROVER}),
    # outbound notifications
    "notification.view": EVERY_ROLE,
    "webhook.manage": frozenset({R.PLATFORM_ADMIN}),
    "webhook.view": frozenset({R.PLATFORM_ADMIN, R.AUDITOR}),  # targets and their deliveries
    # execution-plane connectors: only a Platform Admin configures; plane actions are for the
    # rollout engine's service identity (fixed rights), never for people directly
    "connector.view": frozenset({R.PLATFORM_ADMIN, R.ENDPOINT_OPS, R.AUDITOR, R.SECURITY_REVIEWER}),
    "connector.configure": frozenset({R.PLATFORM_ADMIN}),
    "connector.check": frozenset({R.PLATFORM_ADMIN, R.ENDPOINT_OPS}),
    "connector.exercise": frozenset({R.PLATFORM_ADMIN}),
    "connector.execute": frozenset(),
    # the planes' device groups, for the ring steps' pickers: whoever plans rings (a read of the plane)
    "connector.groups": frozenset({R.PUBLISHER, R.PLATFORM_ADMIN, R.ENDPOINT_OPS}),
    # rollouts: publishers run their changes; endpoint ops may stop them (pause, halt, roll back);
    # judging an inconclusive ring is also checked for separation of duties in rollouts services
    "rollout.view": EVERY_ROLE,
    "rollout.start": frozenset({R.PUBLISHER}),
    "rollout.pause": frozenset({R.PUBLISHER, R.ENDPOINT_OPS}),
    "rollout.resume": frozenset({R.PUBLISHER}),
    "rollout.halt": frozenset({R.PUBLISHER, R.ENDPOINT_OPS}),
    "rollout.rollback": frozenset({R.PUBLISHER, R.ENDPOINT_OPS}),
    "rollout.promote": frozenset({R.PUBLISHER, R.CAB_APPROVER}),
    "rollout.advance": frozenset(),
    "incident.view": EVERY_ROLE,
    "incident.create": frozenset({R.ENDPOINT_OPS, R.SECURITY_REVIEWER, R.PUBLISHER}),
    "incident.resolve": frozenset({R.ENDPOINT_OPS, R.SECURITY_REVIEWER}),
    "window.view": EVERY_ROLE,
    "window.manage": frozenset({R.PLATFORM_ADMIN, R.ENDPOINT_OPS}),
    "freeze.manage": frozenset({R.PLATFORM_ADMIN}),
    # reconciliation: everyone reads drift; Endpoint Ops decide remediation items in scope, CAB
    # those that widen scope (checked per item in reconcile services); passes on demand
    "drift.view": EVERY_ROLE,
    "drift.decide": frozenset({R.ENDPOINT_OPS, R.CAB_APPROVER}),
    "reconcile.run": frozenset({R.PLATFORM_ADMIN, R.ENDPOINT_OPS}),
    # assistant: everyone signed in may ask: a read (answers are scoped to what the asker can see; the record
    # kept of it is its audit trail, like the ledger's). Auditors see every
    # interaction (others their own); only a Platform Admin configures providers. The assistant actor
    # itself has no rights at all (core.actors.ASSISTANT), so every write service refuses it.
    "assistant.view": EVERY_ROLE,
    "assistant.interaction.view": frozenset({R.AUDITOR}),
    "assistant.provider.view": frozenset({R.PLATFORM_ADMIN, R.AUDITOR}),
    "assistant.provider.configure": frozenset({R.PLATFORM_ADMIN}),
    # the ledger streamed to SIEMs: a Platform Admin configures destinations, Auditors watch them too;
    # the streaming itself is the siem-streamer service identity's fixed right
    "siem.view": frozenset({R.PLATFORM_ADMIN, R.AUDITOR}),
    "siem.configure": frozenset({R.PLATFORM_ADMIN}),
    "siem.stream": frozenset(),
    # sites and air-gap bundles: a Platform Admin keeps the registry, a Security Reviewer the keys and
    # the snapshot freshness policy; publishers ship bundles of their intents; at a site, the people who
    # run its plane import and deploy them and send the results back
    "site.view": EVERY_ROLE,
    "site.manage": frozenset({R.PLATFORM_ADMIN}),
    "site.strategy": frozenset({R.PLATFORM_ADMIN, R.SECURITY_REVIEWER}),
    "bundle.trust": frozenset({R.SECURITY_REVIEWER}),
    "bundle.view": EVERY_ROLE,
    "bundle.export": frozenset({R.PUBLISHER}),
    "bundle.import": frozenset({R.PUBLISHER, R.ENDPOINT_OPS}),
    "bundle.deploy": frozenset({R.PUBLISHER, R.ENDPOINT_OPS}),
    "bundle.results_export": frozenset({R.PUBLISHER, R.ENDPOINT_OPS}),
    "bundle.results_import": frozenset({R.PUBLISHER, R.ENDPOINT_OPS}),
}


@runtime_checkable
class Scoped(Protocol):
    @property
    def scope(self) -> Scope: ...


def _scope_of(obj: object) -> Scope | None:
    # getattr, not isinstance(obj, Scoped): a runtime-checkable Protocol check walks the protocol's
    # members on every call, ~6 % of an intent list's CPU (three checks a row, issue 16); same answer
    if obj is None or isinstance(obj, Scope):
        return obj
    scope: Scope | None = getattr(obj, "scope", None)  # what `Scoped` describes
    return scope


def can(actor: Actor, action: str, obj: object | None = None) -> bool:
    if actor.kind != "user":
        return action in actor.rights
    roles = RULES.get(action, frozenset())
    target = _scope_of(obj)
    for grant in actor.grants:
        if grant.role not in roles:
            continue
        if target is None or grant.role == Role.AUDITOR or grant.scope.covers(target):
            return True
    return False


def granted_before(actor: Actor, action: str, obj: object | None, opened_at: datetime | None) -> bool:
    """Whether one of the actor's grants that allows `action` on `obj` was held when the change was
    opened: a role granted later cannot decide on changes already under way."""
    if actor.kind != "user" or opened_at is None:
        return True
    roles = RULES.get(action, frozenset())
    target = _scope_of(obj)
    return any(
        g.role in roles
        and (target is None or g.scope.covers(target))
        and (g.granted_at is None or g.granted_at <= opened_at)
        for g in actor.grants
    )


def require(actor: Actor, action: str, obj: object | None = None) -> None:
    if can(actor, action, obj):
        return
    roles = RULES.get(action, frozenset())
    if actor.kind == "user" and any(g.role in roles for g in actor.grants):
        raise ScopeViolation(
            f"'{action}' is outside your scope: {_describe(_scope_of(obj))}. "
            "Ask a Platform Admin to extend your role's scope, or pick a target inside it.",
            action=action,
        )
    needed = ", ".join(sorted(r.label for r in roles)) or "no role (not allowed for people)"
    raise Forbidden(
        f"'{action}' needs one of: {needed}. You have: {', '.join(actor.roles) or 'no roles'}.",
        action=action,
    )


def _describe(scope: Scope | None) -> str:
    if scope is None:
        return "unknown scope"
    return f"boundary {scope.boundary}, business units {', '.join(sorted(scope.business_units))}"
