"""Signed auto-updates of the caja: two slots, TUF verification, health check, rollback."""
