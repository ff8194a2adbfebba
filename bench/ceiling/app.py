"""One model shaped like a list row of Fleetgate (a few strings, a state, JSON, timestamps), its
ModelSerializer, a list view and a create view (one INSERT); `seed()` creates the table and its 20 rows."""

from __future__ import annotations

import uuid

from django.db import connection, models
from django.urls import path
from django.utils import timezone
from rest_framework import generics, serializers

ROWS = 20


class Row(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    title = models.CharField(max_length=200)
    state = models.CharField(max_length=24, default="draft")
    target_boundary = models.CharField(max_length=64, default="acme")
    target_business_unit = models.CharField(max_length=64, default="finance")
    ring_plan = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "bench_ceiling"
        db_table = "bench_ceiling_row"


class RowSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Row
        fields = "__all__"


class RowList(generics.ListAPIView):  # type: ignore[type-arg]
    serializer_class = RowSerializer

    def get_queryset(self) -> models.QuerySet[Row]:
        return Row.objects.order_by("-created_at")[:ROWS]


class RowCreate(generics.CreateAPIView):  # type: ignore[type-arg]
    """The write ceiling: validate a body through the ModelSerializer and INSERT one row."""

    serializer_class = RowSerializer


urlpatterns = [path("rows/", RowList.as_view()), path("rows/new/", RowCreate.as_view())]


def seed() -> None:
    """Create the table (dropping an older one) and its rows."""
    with connection.schema_editor() as editor:
        if Row._meta.db_table in connection.introspection.table_names():
            editor.delete_model(Row)
        editor.create_model(Row)
    plan = [{"ring": "lab", "target_group": "FG-LAB", "device_count": 8}]
    Row.objects.bulk_create(Row(name=f"row-{i:02d}", title=f"Ceiling row {i}", ring_plan=plan) for i in range(ROWS))
