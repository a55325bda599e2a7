from tests.edge.api.conftest import api, cashier, manager
from tests.edge.factories import caja

__all__ = ["api", "caja", "cashier", "manager"]
