from django.db import migrations

from fleetgate.audit import triggers


class Migration(migrations.Migration):
    """The ledger head moves inside the INSERT of the event that extends it (and refuses one that does not)."""

    dependencies = [("audit", "0003_truncate_guard")]
    operations = [migrations.RunPython(triggers.install_head_trigger, triggers.remove_head_trigger)]
