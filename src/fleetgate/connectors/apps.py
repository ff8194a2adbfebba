from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "fleetgate.connectors"
    label = "connectors"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fleetgate.connectors import metrics  # noqa: F401  (registers the gauges)
