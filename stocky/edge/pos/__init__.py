"""Point of sale at the caja: sales, returns, receipt numbers, the day's summary."""
