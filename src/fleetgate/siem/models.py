"""SIEM destinations (configured by a Platform Admin) and each one's place in the ledger."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone


class Kind(models.TextChoices):
    SYSLOG_TCP = "syslog-tcp", "Syslog over TCP (RFC 5424, RFC 6587 octet counting)"
    SYSLOG_TLS = "syslog-tls", "Syslog over TLS (RFC 5425)"
    HTTPS_HEC = "https-hec", "Splunk HTTP Event Collector"
    HTTPS_JSON = "https-json", "HTTPS POST of JSON"


class Format(models.TextChoices):
    CEF = "cef", "CEF"
    JSON = "json", "JSON"


SYSLOG_KINDS = frozenset({Kind.SYSLOG_TCP, Kind.SYSLOG_TLS})
TLS_KINDS = frozenset({Kind.SYSLOG_TLS, Kind.HTTPS_HEC, Kind.HTTPS_JSON})
HEC_PATH = "/services/collector/event"
SECRET_NAMES = ("token", "client_key_pem")  # HEC token or a bearer token; the TLS client key


class Destination(models.Model):
    name = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField()
    path = models.CharField(max_length=300, blank=True, default="")  # HTTPS kinds only
    format = models.CharField(max_length=8, choices=Format.choices, default=Format.CEF)
    tls_verify = models.BooleanField(default=True)
    tls_ca_pem = models.TextField(blank=True, default="")  # trust anchors; empty: the system's
    tls_server_name = models.CharField(max_length=255, blank=True, default="")  # name checked; default host
    tls_client_cert_pem = models.TextField(blank=True, default="")  # mutual TLS; its key is a secret
    secrets_ciphertext = models.TextField(blank=True, default="")  # Fernet (core.secrets); key never in the DB
    secret_names = models.JSONField(default=list)
    batch_size = models.PositiveIntegerField(default=200)
    enabled = models.BooleanField(default=True)
    # The outbox: everything after acknowledged_sequence is still to be sent, in order.
    acknowledged_sequence = models.BigIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    consecutive_failures = models.PositiveIntegerField(default=0)
    failures_total = models.PositiveIntegerField(default=0)
    events_sent_total = models.BigIntegerField(default=0)  # includes resends after a failed batch
    next_attempt_at = models.DateTimeField(null=True, blank=True)  # backoff after failures
    # A worker's claim while it sends outside any transaction; a dead worker's claim lapses.
    lease_token = models.CharField(max_length=64, blank=True, default="")
    lease_until = models.DateTimeField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def etag(self) -> str:
        return f'"{self.pk}.{self.revision}"'

    @property
    def uses_tls(self) -> bool:
        return self.kind in TLS_KINDS

    def snapshot(self) -> dict[str, Any]:
        """What the ledger records: configuration only, never a secret (only which are set)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "host": self.host,
            "port": self.port,
            "path": self.path,
            "format": self.format,
            "tls_verify": self.tls_verify,
            "tls_ca_pem_set": bool(self.tls_ca_pem),
            "tls_server_name": self.tls_server_name,
            "tls_client_cert_set": bool(self.tls_client_cert_pem),
            "secret_names": sorted(self.secret_names),
            "batch_size": self.batch_size,
            "enabled": self.enabled,
            "revision": self.revision,
        }
