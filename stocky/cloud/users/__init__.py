"""Users of a tenant and their roles."""
