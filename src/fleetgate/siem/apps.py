from django.apps import AppConfig


class SiemConfig(AppConfig):
    name = "fleetgate.siem"
    label = "siem"
    default_auto_field = "django.db.models.BigAutoField"
