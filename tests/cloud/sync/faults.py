"""Faults injected into the cloud's own database, to see what push does with them."""

from __future__ import annotations

import uuid

import psycopg

from stocky.cloud.embedded import libpq_url
from tests.fixtures.database import DatabaseUrls


def fail_movements_of(
    database: DatabaseUrls, product_id: uuid.UUID, *, sqlstate: str, message: str
) -> None:
    """Every movement of this product raises `sqlstate` as it is inserted (the others go in)."""
    with psycopg.connect(libpq_url(database.owner_url), autocommit=True) as conn:
        conn.execute(
            f"""
            CREATE FUNCTION fail_product() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.product_id = '{product_id}' THEN
                RAISE EXCEPTION '{message}' USING ERRCODE = '{sqlstate}';
              END IF;
              RETURN NEW;
            END $$;
            CREATE TRIGGER fail_product BEFORE INSERT ON transactions
            FOR EACH ROW EXECUTE FUNCTION fail_product();
            """
        )
