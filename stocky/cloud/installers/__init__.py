"""The caja's installers: one current installer per OS, published to object storage."""
