"""The discussion thread on a CAB request: post a comment, with @username mentions.

A mention names a person who may read the request (queries_comments.readers); an unknown or
out-of-scope name refuses the whole comment (field `body`), so a notification never tells anyone
about a change they cannot see. Every mentioned person but the author gets one notification."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction

from fleetgate.approvals.models import CabComment, CabRequest
from fleetgate.approvals.queries_comments import mentioned, readers
from fleetgate.approvals.states import RequestState
from fleetgate.audit import services as audit
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import InvalidTransition
from fleetgate.core.lookups import locked, user_of
from fleetgate.core.validation import Issues
from fleetgate.notifications import services as notifications

MAX_BODY = 4000
DISCUSSED = frozenset({RequestState.OPEN, RequestState.APPROVED})  # rejected / voided: the thread is closed
MENTION_EVENT = "cab.comment_mention"


def add_comment(*, actor: Actor, request_id: UUID | str, body: str) -> CabComment:
    text = body.strip()
    issues = Issues()
    if not text:
        issues.add("body", "required", "Write the comment.")
    elif len(text) > MAX_BODY:
        issues.add("body", "max-length", f"A comment has at most {MAX_BODY} characters.")
    issues.raise_if_any("The comment is not valid; fix the listed fields.")
    with transaction.atomic():
        request = locked(CabRequest, request_id, "CAB request")
        permissions.require(actor, "cab.comment", request)
        author = user_of(actor)
        if request.state not in DISCUSSED:
            raise InvalidTransition(
                f"This CAB request is {request.state}; its discussion is closed. Comment on the intent's current "
                "request instead.",
                state=request.state,
                action="comment",
            )
        names = mentioned(text)
        people = readers(request) if names else {}
        for name in names:
            if name not in people:
                issues.add(
                    "body",
                    "unknown-mention",
                    f"@{name} is not someone who can read this request; pick a person from the mention list.",
                )
        issues.raise_if_any("The comment mentions people it cannot notify; fix the listed mentions.")
        comment = CabComment.objects.create(request=request, author=author, body=text, mentions=names)
        audit.record(
            actor=actor,
            action="cab_comment.added",
            subject_type="cab_request",
            subject_id=request.pk,
            after={"comment": str(comment.pk), **comment.snapshot()},
        )
        intent = request.intent
        for name in names:
            if name == actor.name:
                continue
            notifications.notify(
                event=MENTION_EVENT,
                subject_type="cab_request",
                subject_id=request.pk,
                payload={"intent": intent.name, "by": actor.name, "comment": str(comment.pk), "excerpt": text[:200]},
                recipients=[name],
            )
    return comment
