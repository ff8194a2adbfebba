from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "fleetgate.assistant"
    label = "assistant"
    default_auto_field = "django.db.models.BigAutoField"
