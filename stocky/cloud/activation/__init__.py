"""Binding cajas to a sede with single-use codes; device credentials and revocation."""
