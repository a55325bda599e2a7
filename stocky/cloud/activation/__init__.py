"""Binding cajas to a sede with 6-digit codes; device credentials and revocation."""
