from django.apps import AppConfig


class ReconcileConfig(AppConfig):
    name = "fleetgate.reconcile"
    label = "reconcile"
    default_auto_field = "django.db.models.BigAutoField"
