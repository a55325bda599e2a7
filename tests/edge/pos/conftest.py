from tests.edge.factories import caja

__all__ = ["caja"]
