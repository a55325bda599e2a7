"""The reconciliation screen's text (findings, acknowledge and correct dialogs)."""

from __future__ import annotations

from stocky.ui.i18n import register_texts

ES: dict[str, str] = {
    "admin.nav.reconciliation": "Conciliación",
    "admin.recon.title": "Conciliación",
    "admin.recon.help": (
        "Lo que no cuadra: turnos cuyo cierre Z no coincide con lo recibido, existencias que "
        "no son la suma de sus movimientos, cajas con el reloj desfasado y operaciones "
        "rechazadas hace más de un día."
    ),
    "admin.recon.kind": "Tipo",
    "admin.recon.kind_all": "Todos los tipos",
    "admin.recon.kind.shift_gap": "Turno descuadrado",
    "admin.recon.kind.stock_drift": "Existencias descuadradas",
    "admin.recon.kind.clock_skew": "Reloj desfasado",
    "admin.recon.kind.rejected_ops": "Operaciones rechazadas",
    "admin.recon.status": "Estado",
    "admin.recon.status_all": "Todos",
    "admin.recon.status.open": "Abierto",
    "admin.recon.status.acknowledged": "Revisado",
    "admin.recon.status.resolved": "Resuelto",
    "admin.recon.sede": "Sede",
    "admin.recon.all_sedes": "Todas las sedes",
    "admin.recon.run": "Revisar ahora",
    "admin.recon.run_queued": "Revisión en curso: los hallazgos aparecerán en unos segundos",
    "admin.recon.refresh": "Actualizar",
    "admin.recon.empty": "No hay hallazgos con estos filtros",
    "admin.recon.shown": "Hallazgos mostrados: {n}",
    "admin.recon.load_more": "Cargar más",
    "admin.recon.detected": "Detectado",
    "admin.recon.waiting": "La caja aún tiene {n} operaciones sin enviar",
    "admin.recon.summary.shift_gap": "Turno {shift}: {diffs}",
    "admin.recon.summary.stock_drift": "{sku} {name}: existencias {stock}, movimientos {moved}",
    "admin.recon.summary.clock_skew": "{device}: reloj desfasado {seconds} s",
    "admin.recon.summary.rejected_ops": "{n} operaciones rechazadas hace más de un día",
    "admin.recon.note": "Nota: {note}",
    "admin.recon.acknowledge": "Marcar revisado",
    "admin.recon.ack_title": "Marcar el hallazgo como revisado",
    "admin.recon.ack_note": "Nota (opcional)",
    "admin.recon.acknowledged": "Hallazgo marcado como revisado",
    "admin.recon.correct": "Corregir",
    "admin.recon.correct_title": "Corregir las existencias",
    "admin.recon.correct_help": (
        "Se registrará un ajuste de {difference} para que los movimientos sumen las "
        "existencias que muestran las cajas. Queda en la auditoría."
    ),
    "admin.recon.corrected": "Ajuste registrado; el hallazgo quedó resuelto",
    "admin.recon.keep": "Volver",
}

EN: dict[str, str] = {
    "admin.nav.reconciliation": "Reconciliation",
    "admin.recon.title": "Reconciliation",
    "admin.recon.help": (
        "What does not add up: shifts whose Z report differs from what the cloud received, "
        "stock that is not the sum of its movements, tills with a skewed clock and operations "
        "rejected more than a day ago."
    ),
    "admin.recon.kind": "Kind",
    "admin.recon.kind_all": "All kinds",
    "admin.recon.kind.shift_gap": "Shift gap",
    "admin.recon.kind.stock_drift": "Stock drift",
    "admin.recon.kind.clock_skew": "Clock skew",
    "admin.recon.kind.rejected_ops": "Rejected operations",
    "admin.recon.status": "Status",
    "admin.recon.status_all": "All",
    "admin.recon.status.open": "Open",
    "admin.recon.status.acknowledged": "Acknowledged",
    "admin.recon.status.resolved": "Resolved",
    "admin.recon.sede": "Store",
    "admin.recon.all_sedes": "All stores",
    "admin.recon.run": "Check now",
    "admin.recon.run_queued": "Checking: findings will show in a few seconds",
    "admin.recon.refresh": "Refresh",
    "admin.recon.empty": "No findings with these filters",
    "admin.recon.shown": "Findings shown: {n}",
    "admin.recon.load_more": "Load more",
    "admin.recon.detected": "Detected",
    "admin.recon.waiting": "The till still has {n} operations to send",
    "admin.recon.summary.shift_gap": "Shift {shift}: {diffs}",
    "admin.recon.summary.stock_drift": "{sku} {name}: stock {stock}, movements {moved}",
    "admin.recon.summary.clock_skew": "{device}: clock off by {seconds} s",
    "admin.recon.summary.rejected_ops": "{n} operations rejected more than a day ago",
    "admin.recon.note": "Note: {note}",
    "admin.recon.acknowledge": "Acknowledge",
    "admin.recon.ack_title": "Acknowledge the finding",
    "admin.recon.ack_note": "Note (optional)",
    "admin.recon.acknowledged": "Finding acknowledged",
    "admin.recon.correct": "Correct",
    "admin.recon.correct_title": "Correct the stock",
    "admin.recon.correct_help": (
        "An adjustment of {difference} will be recorded so the movements add up to the stock "
        "the tills show. It is kept in the audit log."
    ),
    "admin.recon.corrected": "Adjustment recorded; the finding is resolved",
    "admin.recon.keep": "Back",
}

register_texts(ES, EN)
