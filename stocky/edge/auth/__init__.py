"""Who is at the caja: offline login against the users synced from the cloud."""
