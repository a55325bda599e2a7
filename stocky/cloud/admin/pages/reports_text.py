"""The reports screen's text (date range, grouping, chart, table, CSV)."""

from __future__ import annotations

from stocky.ui.i18n import register_texts

ES: dict[str, str] = {
    "admin.nav.reports": "Informes",
    "admin.reports.title": "Informes",
    "admin.reports.help": (
        "Ventas por día de cada sede (hora de la caja corregida), con devoluciones, "
        "descuentos, costo y margen."
    ),
    "admin.reports.from": "Desde",
    "admin.reports.to": "Hasta",
    "admin.reports.group_by": "Agrupar por",
    "admin.reports.sede": "Sede",
    "admin.reports.all_sedes": "Todas las sedes",
    "admin.reports.show": "Ver",
    "admin.reports.csv": "Descargar CSV",
    "admin.reports.chart": "Venta neta por día",
    "admin.reports.net": "Neto",
    "admin.reports.empty": "No hay ventas en estas fechas",
    "admin.reports.group.sede": "Sede",
    "admin.reports.group.caja": "Caja",
    "admin.reports.group.cashier": "Cajero",
    "admin.reports.group.day": "Día",
    "admin.reports.group.hour": "Hora",
    "admin.reports.group.product": "Producto",
    "admin.reports.group.category": "Categoría",
    "admin.reports.group.payment_method": "Medio de pago",
    "admin.reports.col.group": "Grupo",
    "admin.reports.col.units": "Unidades",
    "admin.reports.col.gross": "Bruto",
    "admin.reports.col.discounts": "Descuentos",
    "admin.reports.col.net": "Neto",
    "admin.reports.col.returns": "Devoluciones",
    "admin.reports.col.cost": "Costo",
    "admin.reports.col.margin": "Margen",
    "admin.reports.col.count": "Cantidad",
    "admin.reports.total": "Total",
    "admin.reports.none": "(sin asignar)",
}

EN: dict[str, str] = {
    "admin.nav.reports": "Reports",
    "admin.reports.title": "Reports",
    "admin.reports.help": (
        "Sales by each store's day (the till's corrected time), with returns, discounts, cost "
        "and margin."
    ),
    "admin.reports.from": "From",
    "admin.reports.to": "To",
    "admin.reports.group_by": "Group by",
    "admin.reports.sede": "Store",
    "admin.reports.all_sedes": "All stores",
    "admin.reports.show": "Show",
    "admin.reports.csv": "Download CSV",
    "admin.reports.chart": "Net sales per day",
    "admin.reports.net": "Net",
    "admin.reports.empty": "No sales in these dates",
    "admin.reports.group.sede": "Store",
    "admin.reports.group.caja": "Till",
    "admin.reports.group.cashier": "Cashier",
    "admin.reports.group.day": "Day",
    "admin.reports.group.hour": "Hour",
    "admin.reports.group.product": "Product",
    "admin.reports.group.category": "Category",
    "admin.reports.group.payment_method": "Payment method",
    "admin.reports.col.group": "Group",
    "admin.reports.col.units": "Units",
    "admin.reports.col.gross": "Gross",
    "admin.reports.col.discounts": "Discounts",
    "admin.reports.col.net": "Net",
    "admin.reports.col.returns": "Returns",
    "admin.reports.col.cost": "Cost",
    "admin.reports.col.margin": "Margin",
    "admin.reports.col.count": "Count",
    "admin.reports.total": "Total",
    "admin.reports.none": "(none)",
}

register_texts(ES, EN)
