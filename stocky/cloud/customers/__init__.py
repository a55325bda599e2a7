"""/api/customers: who a receipt is made out to."""
