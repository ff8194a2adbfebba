from __future__ import annotations

from django.apps import AppConfig


class CeilingConfig(AppConfig):
    name = "ceiling"
    label = "bench_ceiling"
