"""`stocky edge activate`: bind this caja to a sede and seed its SQLite store."""
