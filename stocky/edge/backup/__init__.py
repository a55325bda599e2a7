"""Backups of the caja's database: local snapshots, upload to the cloud, restore."""
