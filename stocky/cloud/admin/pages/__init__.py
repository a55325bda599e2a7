"""One module per admin screen; each keeps its own text keys beside it."""
