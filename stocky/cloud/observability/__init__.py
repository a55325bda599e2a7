"""Observability of the cloud: Prometheus metrics, JSON logs with redaction, request ids."""
