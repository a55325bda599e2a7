"""Every feature's router, mounted by the app factory (one line per feature)."""

from __future__ import annotations

from fastapi import APIRouter

from stocky.cloud.activation.router import router as activation_router
from stocky.cloud.ai.router import router as ai_router
from stocky.cloud.audit.router import router as audit_router
from stocky.cloud.auth.router import router as auth_router
from stocky.cloud.backups.router import router as backups_router
from stocky.cloud.catalog.merge_router import router as merge_router
from stocky.cloud.catalog.router import router as catalog_router
from stocky.cloud.customers.router import router as customers_router
from stocky.cloud.dashboard.router import router as dashboard_router
from stocky.cloud.health.router import router as health_router
from stocky.cloud.installers.router import router as installers_router
from stocky.cloud.inventory.router import router as inventory_router
from stocky.cloud.lan.router import router as lan_router
from stocky.cloud.reconciliation.router import router as reconciliation_router
from stocky.cloud.reports.router import router as reports_router
from stocky.cloud.sales.router import router as sales_router
from stocky.cloud.sedes.router import router as sedes_router
from stocky.cloud.storage.device_router import router as images_router
from stocky.cloud.sync.router import router as sync_router
from stocky.cloud.tenants.business import router as business_router
from stocky.cloud.tenants.router import router as tenants_router
from stocky.cloud.transactions.router import router as transactions_router
from stocky.cloud.transfers.router import router as transfers_router
from stocky.cloud.updates.router import router as updates_router
from stocky.cloud.users.router import router as users_router

ROUTERS: list[APIRouter] = [
    health_router,
    auth_router,  # identity
    tenants_router,  # identity
    business_router,  # identity
    users_router,  # identity
    sedes_router,  # identity
    activation_router,  # identity
    audit_router,  # identity
    catalog_router,
    merge_router,
    customers_router,
    inventory_router,
    transactions_router,
    sales_router,
    sync_router,
    lan_router,
    dashboard_router,
    transfers_router,
    reconciliation_router,
    reports_router,
    ai_router,
    updates_router,
    backups_router,
    installers_router,
    images_router,
]
