"""Reconciliation (issue 17, items 2, 3 and 5): the cloud checks that it holds every sale of
each closed shift, that each stock row is the sum of its movements, that cajas' clocks are
sane and that no caja sits on old rejected ops; what does not add up is a finding, listed at
GET /api/reconciliation, acknowledged by a person, and resolved when it adds up again."""
