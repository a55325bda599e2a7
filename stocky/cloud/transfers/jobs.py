"""The transfer job as the jobs tier runs it: retried on errors, failed for good after."""

from __future__ import annotations

import logging
import uuid

import procrastinate

from stocky.cloud.jobs.app import TaskSpec
from stocky.cloud.transfers.execute import execute_transfer, fail_transfer

log = logging.getLogger(__name__)

MAX_RETRIES = 5


async def run_transfer(
    context: procrastinate.JobContext, *, tenant_id: str, transfer_id: str
) -> str:
    app = context.additional_context["app"]
    tenant, transfer = uuid.UUID(tenant_id), uuid.UUID(transfer_id)
    try:
        outcome = await execute_transfer(app, tenant, transfer)
    except Exception as exc:
        if context.job.attempts < MAX_RETRIES:
            raise  # procrastinate retries it with backoff
        log.exception("transfer %s failed for good after %s attempts", transfer, MAX_RETRIES + 1)
        await fail_transfer(app, tenant, transfer, f"the transfer could not be executed: {exc}")
        raise
    return outcome.status


TASKS = [
    TaskSpec(
        name="transfers.execute",
        fn=run_transfer,
        queue="transfers",
        retry=procrastinate.RetryStrategy(max_attempts=MAX_RETRIES, wait=1, exponential_wait=2),
    ),
]
