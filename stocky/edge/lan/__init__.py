"""LAN sync between the cajas of one sede (issue 16, ARCHITECTURE §5)."""
