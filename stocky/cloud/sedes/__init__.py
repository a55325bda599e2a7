"""Sedes: the stores of a tenant."""
