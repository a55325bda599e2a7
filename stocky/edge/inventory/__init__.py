"""Stock at the caja: movements, entries, physical counts, thresholds, inventory queries."""
