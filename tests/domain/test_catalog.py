"""Catalog services: applications, versions, artifacts with digests computed by Fleetgate."""

from __future__ import annotations

import hashlib

import pytest

from fleetgate.catalog import services, store
from fleetgate.catalog.models import Application, Artifact
from fleetgate.core.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, ScopeViolation, ValidationFailed
from fleetgate.core.roles import Role
from tests.factories import World, last_event, make_actor, make_application, upload

APP_WRITERS = {Role.PLATFORM_ADMIN, Role.PACKAGING_ENGINEER}


def test_create_application_records_event(world: World) -> None:
    app = make_application(world.actors[Role.PACKAGING_ENGINEER], name="Notepad++", privileged_tooling=True)
    event = last_event()
    assert (event.action, event.subject_id, event.after["name"]) == ("application.created", str(app.pk), "Notepad++")
    assert event.after["privileged_tooling"] is True


@pytest.mark.parametrize("role", sorted(set(Role) - APP_WRITERS))
def test_create_application_denied(world: World, role: Role) -> None:
    with pytest.raises(Forbidden):
        make_application(world.actors[role])


def test_application_validation_lists_every_problem(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.create_application(
            actor=world.actors[Role.PLATFORM_ADMIN],
            data={
                "name": "",
                "vendor": "",
                "category": "games",
                "platforms": ["amiga"],
                "boundary": "acme",
                "business_units": [],
            },
        )
    fields = {(e.field, e.rule) for e in caught.value.errors}
    assert {
        ("name", "required"),
        ("vendor", "required"),
        ("category", "choice"),
        ("platforms[0]", "choice"),
        ("business_units", "required"),
    } <= fields


def test_duplicate_application_name(world: World) -> None:
    with pytest.raises(Conflict):
        make_application(world.actors[Role.PLATFORM_ADMIN], name=world.app.name)


def test_update_application(world: World) -> None:
    admin = world.actors[Role.PLATFORM_ADMIN]
    app = services.update_application(actor=admin, application_id=world.app.pk, data={"vendor": "New Vendor"})
    assert Application.objects.get(pk=app.pk).vendor == "New Vendor"
    assert (last_event().before["vendor"], last_event().after["vendor"]) == ("Vendor", "New Vendor")
    with pytest.raises(Forbidden):
        services.update_application(actor=world.publisher, application_id=app.pk, data={"vendor": "x"})
    with pytest.raises(NotFound):
        services.update_application(actor=admin, application_id="not-a-uuid", data={})  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["1.0", "v1.0.0", "1.0.0.0", "latest", ""])
def test_version_must_be_semver(world: World, bad: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.create_version(actor=world.actors[Role.PACKAGING_ENGINEER], application_id=world.app.pk, version=bad)
    assert caught.value.errors[0].field == "version"
    assert caught.value.errors[0].rule == "semver"


def test_version_is_immutable_and_scoped(world: World) -> None:
    packager = world.actors[Role.PACKAGING_ENGINEER]
    with pytest.raises(Conflict):
        services.create_version(actor=packager, application_id=world.app.pk, version="1.0.0")
    outsider = make_actor(Role.PACKAGING_ENGINEER, boundary="globex")
    with pytest.raises(ScopeViolation):
        services.create_version(actor=outsider, application_id=world.app.pk, version="2.0.0")


def test_artifact_digest_is_computed_and_stored_by_content(world: World) -> None:
    packager = world.actors[Role.PACKAGING_ENGINEER]
    version = world.app.versions.get(version="1.0.0")
    payload = b"MZ" + b"\x00" * 4096
    artifact = services.register_artifact(
        actor=packager,
        version_id=version.pk,
        platform="windows",
        artifact_format="msi",
        filename="app.msi",
        upload=upload(payload),
    )
    digest = hashlib.sha256(payload).hexdigest()
    assert (artifact.sha256, artifact.size) == (digest, len(payload))
    assert store.path_for(digest).read_bytes() == payload
    assert last_event().after["sha256"] == digest
    with pytest.raises(Conflict):
        services.register_artifact(
            actor=packager,
            version_id=version.pk,
            platform="windows",
            artifact_format="msi",
            filename="again.msi",
            upload=upload(payload),
        )


def test_declared_digest_mismatch_is_refused(world: World) -> None:
    version = world.app.versions.get(version="1.0.0")
    with pytest.raises(ValidationFailed) as caught:
        services.register_artifact(
            actor=world.actors[Role.PACKAGING_ENGINEER],
            version_id=version.pk,
            platform="windows",
            artifact_format="msi",
            filename="a.msi",
            upload=upload(b"real bytes"),
            declared_sha256="0" * 64,
        )
    assert caught.value.errors[0].rule == "digest-mismatch"
    assert not Artifact.objects.exists()


def test_artifact_bad_choices_and_denied_role(world: World) -> None:
    version = world.app.versions.get(version="1.0.0")
    with pytest.raises(ValidationFailed):
        services.register_artifact(
            actor=world.actors[Role.PACKAGING_ENGINEER],
            version_id=version.pk,
            platform="beos",
            artifact_format="zip",
            filename="a",
            upload=upload(b"x"),
        )
    with pytest.raises(Forbidden):
        services.register_artifact(
            actor=world.publisher,
            version_id=version.pk,
            platform="windows",
            artifact_format="msi",
            filename="a.msi",
            upload=upload(b"x"),
        )
    assert not Artifact.objects.exists()


def test_upload_over_the_limit_is_refused_and_leaves_nothing(world: World) -> None:
    with pytest.raises(PayloadTooLarge):
        upload(b"x" * 2048, limit=1024)
    assert not list((store.root() / "tmp").iterdir())


@pytest.mark.parametrize(
    ("category", "expected"),
    [("security", "critical_infrastructure"), ("business", "business_critical"), ("utility", "non_critical")],
)
def test_blast_radius_class_defaults_from_category(world: World, category: str, expected: str) -> None:
    app = make_application(world.actors[Role.PLATFORM_ADMIN], category=category)
    assert app.blast_radius_class == expected


def test_classify_is_governed_and_needs_a_reason(world: World) -> None:
    security = world.actors[Role.SECURITY_REVIEWER]
    app = services.classify_application(
        actor=security,
        application_id=world.app.pk,
        blast_radius_class="critical_infrastructure",
        reason="runs the tills",
    )
    assert app.blast_radius_class == "critical_infrastructure"
    event = last_event()
    assert (event.action, event.reason) == ("application.classified", "runs the tills")
    assert (event.before["blast_radius_class"], event.after["blast_radius_class"]) == (
        "productivity",
        "critical_infrastructure",
    )
    with pytest.raises(ValidationFailed) as caught:
        services.classify_application(actor=security, application_id=app.pk, blast_radius_class="huge", reason=" ")
    assert {e.field for e in caught.value.errors} == {"blast_radius_class", "reason"}
    with pytest.raises(Forbidden):
        services.classify_application(
            actor=world.actors[Role.PACKAGING_ENGINEER],
            application_id=app.pk,
            blast_radius_class="non_critical",
            reason="x",
        )
