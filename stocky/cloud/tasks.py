"""Every job the cloud runs, by feature (the jobs tier's counterpart of `routers`)."""

from __future__ import annotations

from stocky.cloud.ai.jobs import TASKS as ai_tasks
from stocky.cloud.jobs.app import TaskSpec
from stocky.cloud.jobs.maintenance import TASKS as maintenance_tasks
from stocky.cloud.realtime.presence import TASKS as presence_tasks
from stocky.cloud.reconciliation.jobs import TASKS as reconciliation_tasks
from stocky.cloud.reports.jobs import TASKS as reports_tasks
from stocky.cloud.transfers.jobs import TASKS as transfer_tasks

TASKS: list[TaskSpec] = [
    *maintenance_tasks,
    *presence_tasks,
    *transfer_tasks,
    *reconciliation_tasks,
    *reports_tasks,
    *ai_tasks,
]
