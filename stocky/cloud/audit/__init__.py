"""Audit trail: every mutation a request makes, recorded by one session hook."""
