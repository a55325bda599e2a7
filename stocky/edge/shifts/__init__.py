"""Cash shifts: opened with a float, closed with a count and a Z report."""
