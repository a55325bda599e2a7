"""Caja updates in the cloud: the signed repository served per channel, and the reports of
how each caja's updates went (issue 19)."""
