"""The jobs tier's own periodic work: jobs of a dead worker go back in the queue."""

from __future__ import annotations

import logging

import procrastinate

from stocky.cloud.jobs.app import TaskSpec, every_seconds

log = logging.getLogger(__name__)


async def retry_stalled_jobs(context: procrastinate.JobContext, timestamp: int) -> int:
    """Requeue the running jobs of workers whose heartbeat stopped (kill -9, power cut).

    A worker is stalled once silent for longer than `worker_stalled_after_s`; its jobs
    are retried now. Every task of ours is idempotent, so a job that had in fact committed
    before its worker died does nothing the second time.
    """
    app = context.additional_context["app"]
    settings = app.state.settings
    manager = context.app.job_manager
    stalled = list(
        await manager.get_stalled_jobs(seconds_since_heartbeat=settings.worker_stalled_after_s)
    )
    for job in stalled:
        log.warning("retrying job %s (%s) of a stalled worker", job.id, job.task_name)
        await manager.retry_job(job)
    # Forget the heartbeats of dead workers, so they are counted once.
    await manager.prune_stalled_workers(settings.worker_stalled_after_s)
    return len(stalled)


TASKS = [
    TaskSpec(
        name="jobs.retry_stalled",
        fn=retry_stalled_jobs,
        cron=lambda settings: every_seconds(min(settings.worker_stalled_after_s / 2, 30)),
    ),
]
