"""All SQLAlchemy models, in one package so relationships never import in cycles."""

from stocky.cloud.models.ai import AiRun, AiSuggestion
from stocky.cloud.models.backups import CajaBackup
from stocky.cloud.models.base import Base
from stocky.cloud.models.cash import CashMovement, Refund, ShiftAdoption
from stocky.cloud.models.catalog import Inventory, Product, ProductBarcode
from stocky.cloud.models.customers import Customer
from stocky.cloud.models.lan import SedeLanLease, TenantCertificateAuthority
from stocky.cloud.models.merges import ProductMerge
from stocky.cloud.models.movements import Sale, SalePayment, Shift, Transaction
from stocky.cloud.models.reconciliation import Finding
from stocky.cloud.models.records import AuditLog, Change, ServerState, SyncLog, SyncOp
from stocky.cloud.models.reports import ReportHourly, ReportPaymentDaily, ReportProductDaily
from stocky.cloud.models.tenancy import (
    ActivationCode,
    Device,
    RefreshToken,
    Sede,
    Tenant,
    User,
)
from stocky.cloud.models.transfers import Transfer, TransferLine
from stocky.cloud.models.updates import UpdateReport

__all__ = [
    "ActivationCode",
    "AiRun",
    "AiSuggestion",
    "AuditLog",
    "Base",
    "CajaBackup",
    "CashMovement",
    "Change",
    "Customer",
    "Device",
    "Finding",
    "Inventory",
    "Product",
    "ProductBarcode",
    "ProductMerge",
    "RefreshToken",
    "Refund",
    "ReportHourly",
    "ReportPaymentDaily",
    "ReportProductDaily",
    "Sale",
    "SalePayment",
    "Sede",
    "SedeLanLease",
    "ServerState",
    "Shift",
    "ShiftAdoption",
    "SyncLog",
    "SyncOp",
    "Tenant",
    "TenantCertificateAuthority",
    "Transaction",
    "Transfer",
    "TransferLine",
    "UpdateReport",
    "User",
]

# Tables that belong to one tenant: each gets row-level security on tenant_id.
TENANT_TABLES = [
    t.name for t in Base.metadata.sorted_tables if "tenant_id" in t.c and t.name not in ("tenants",)
]
