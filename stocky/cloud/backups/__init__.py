"""Caja backups in the cloud's object storage: upload, list, download, retention."""
