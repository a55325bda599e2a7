"""The caja's sync engine: outbox push, pull and apply, network monitor."""
