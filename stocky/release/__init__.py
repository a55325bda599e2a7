"""`stocky release`: keys, archives and signed TUF metadata for the caja's update channels."""
