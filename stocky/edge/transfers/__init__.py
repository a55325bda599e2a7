"""Transfers between sedes as the caja sees them: read from its copy, decided in the cloud."""
