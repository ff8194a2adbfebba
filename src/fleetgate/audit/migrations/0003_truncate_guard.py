from django.db import migrations

from fleetgate.audit import triggers


class Migration(migrations.Migration):
    """PostgreSQL: refuse TRUNCATE on the ledger tables (row triggers never see it)."""

    dependencies = [("audit", "0002_append_only_triggers")]
    operations = [migrations.RunPython(triggers.install_truncate_guard, triggers.remove_truncate_guard)]
