"""The caja's local HTTP API under /local/api (what the UI, integrations and tests drive)."""
