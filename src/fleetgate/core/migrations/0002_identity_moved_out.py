"""RoleBinding and ApiToken moved to the `identity` app. Their tables stay where they are
(`core_rolebinding`, `core_apitoken`): this only forgets the models in core's migration state;
identity 0001 takes them over with the same tables."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ApiToken"), migrations.DeleteModel(name="RoleBinding")],
            database_operations=[],
        ),
    ]
