"""Sales reports served from rollups the push maintains (GET /api/reports/...)."""
