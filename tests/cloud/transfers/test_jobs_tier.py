"""The jobs tier: a job is deferred in the transaction of the state it acts on."""

from __future__ import annotations

import psycopg
import pytest
from fastapi import FastAPI

from stocky.cloud.db import tenant_transaction
from stocky.cloud.embedded import libpq_url
from stocky.cloud.jobs.app import every_seconds
from stocky.cloud.jobs.defer import defer_in
from stocky.cloud.tasks import TASKS
from tests.cloud.transfers.world import TransferWorld
from tests.fixtures.database import DatabaseUrls

pytestmark = pytest.mark.asyncio(loop_scope="session")


class Boom(Exception):
    pass


def jobs_named(database: DatabaseUrls, transfer_id: str) -> list[tuple[str, str]]:
    with psycopg.connect(libpq_url(database.owner_url)) as conn:
        rows = conn.execute(
            "SELECT task_name, status::text FROM procrastinate_jobs"
            " WHERE args->>'transfer_id' = %s",
            (transfer_id,),
        ).fetchall()
    return [(r[0], r[1]) for r in rows]


async def test_a_rolled_back_transaction_leaves_no_job(
    cloud_app: FastAPI, database: DatabaseUrls, world_without_worker: TransferWorld
) -> None:
    marker = "00000000-0000-0000-0000-00000000dead"

    async def defer_then_fail() -> None:
        async with tenant_transaction(
            cloud_app.state.sessionmaker, world_without_worker.tenant_id
        ) as s:
            await defer_in(
                s, cloud_app.state.jobs, "transfers.execute", tenant_id=marker, transfer_id=marker
            )
            assert jobs_named(database, marker) == []  # not visible before the commit
            raise Boom

    with pytest.raises(Boom):
        await defer_then_fail()
    assert jobs_named(database, marker) == []

    async with tenant_transaction(
        cloud_app.state.sessionmaker, world_without_worker.tenant_id
    ) as s:
        await defer_in(
            s, cloud_app.state.jobs, "transfers.execute", tenant_id=marker, transfer_id=marker
        )
    assert jobs_named(database, marker) == [("transfers.execute", "todo")]


async def test_unknown_task_is_refused_before_anything_is_written(cloud_app: FastAPI) -> None:
    async with cloud_app.state.sessionmaker() as s, s.begin():
        with pytest.raises(Exception, match="Task cannot be imported"):
            await defer_in(s, cloud_app.state.jobs, "no-such.task")


async def test_every_task_has_a_unique_name_and_sane_schedule() -> None:
    names = [spec.name for spec in TASKS]
    assert len(names) == len(set(names))
    assert every_seconds(0.2) == "* * * * * */1"
    assert every_seconds(15) == "* * * * * */15"
    assert every_seconds(600) == "* * * * * */59"
