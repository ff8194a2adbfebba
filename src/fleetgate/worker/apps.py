from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "fleetgate.worker"
    label = "worker"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from huey.contrib.djhuey import HUEY

        from fleetgate.worker import signals

        signals.connect(HUEY)
