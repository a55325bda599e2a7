"""Transfers of stock between sedes: request, approval by the origin, one job that moves it."""
