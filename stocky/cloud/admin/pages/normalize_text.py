"""The catalog normalizer screen's text (a run, its progress, the suggestions to review)."""

from __future__ import annotations

from stocky.ui.i18n import register_texts

ES: dict[str, str] = {
    "admin.catalog.normalize": "Normalizar",
    "admin.norm.title": "Normalizar catálogo",
    "admin.norm.help": (
        "Revisa el catálogo completo: nombres limpios, marcas, tamaños y categorías, y "
        "productos que parecen el mismo escrito de varias formas. Nada cambia hasta que "
        "aceptes una sugerencia."
    ),
    "admin.norm.start": "Analizar catálogo",
    "admin.norm.started": "Análisis en curso",
    "admin.norm.back": "Volver al catálogo",
    "admin.norm.no_run": "Aún no hay un análisis en esta pantalla: pulsa «Analizar catálogo».",
    "admin.norm.progress": "{status}: {processed} de {total} productos, {suggestions} sugerencias",
    "admin.norm.run.queued": "En cola",
    "admin.norm.run.running": "Analizando",
    "admin.norm.run.done": "Terminado",
    "admin.norm.run.failed": "Falló",
    "admin.norm.status": "Estado",
    "admin.norm.status_all": "Todas",
    "admin.norm.status.pending": "Pendiente",
    "admin.norm.status.accepted": "Aceptada",
    "admin.norm.status.edited": "Editada",
    "admin.norm.status.rejected": "Rechazada",
    "admin.norm.kind": "Tipo",
    "admin.norm.kind_all": "Todos los tipos",
    "admin.norm.kind.rename": "Renombrar",
    "admin.norm.kind.merge": "Unir duplicados",
    "admin.norm.empty": "No hay sugerencias con estos filtros.",
    "admin.norm.shown": "{n} sugerencias",
    "admin.norm.load_more": "Cargar más",
    "admin.norm.confidence": "Confianza {pct} %",
    "admin.norm.category": "Categoría: {before} → {after}",
    "admin.norm.keeps": "Se conserva",
    "admin.norm.merges": "Se une y desactiva",
    "admin.norm.accept": "Aceptar",
    "admin.norm.edit": "Editar",
    "admin.norm.reject": "Rechazar",
    "admin.norm.accepted": "Sugerencia aplicada",
    "admin.norm.rejected": "Sugerencia rechazada",
    "admin.norm.select_all": "Seleccionar todas",
    "admin.norm.bulk_accept": "Aceptar seleccionadas",
    "admin.norm.bulk_reject": "Rechazar seleccionadas",
    "admin.norm.bulk_done": "{ok} aplicadas, {failed} con problemas",
    "admin.norm.edit_title": "Editar antes de aplicar",
    "admin.norm.name": "Nombre",
    "admin.norm.category_field": "Categoría",
    "admin.norm.keep": "Volver",
}

EN: dict[str, str] = {
    "admin.catalog.normalize": "Normalize",
    "admin.norm.title": "Normalize the catalog",
    "admin.norm.help": (
        "Reviews the whole catalog: clean names, brands, sizes and categories, and products "
        "that look like one product written several ways. Nothing changes until you accept "
        "a suggestion."
    ),
    "admin.norm.start": "Analyse the catalog",
    "admin.norm.started": "Analysis under way",
    "admin.norm.back": "Back to the catalog",
    "admin.norm.no_run": "No analysis on this screen yet: press “Analyse the catalog”.",
    "admin.norm.progress": "{status}: {processed} of {total} products, {suggestions} suggestions",
    "admin.norm.run.queued": "Queued",
    "admin.norm.run.running": "Analysing",
    "admin.norm.run.done": "Done",
    "admin.norm.run.failed": "Failed",
    "admin.norm.status": "Status",
    "admin.norm.status_all": "All",
    "admin.norm.status.pending": "Pending",
    "admin.norm.status.accepted": "Accepted",
    "admin.norm.status.edited": "Edited",
    "admin.norm.status.rejected": "Rejected",
    "admin.norm.kind": "Kind",
    "admin.norm.kind_all": "All kinds",
    "admin.norm.kind.rename": "Rename",
    "admin.norm.kind.merge": "Merge duplicates",
    "admin.norm.empty": "No suggestions with these filters.",
    "admin.norm.shown": "{n} suggestions",
    "admin.norm.load_more": "Load more",
    "admin.norm.confidence": "Confidence {pct} %",
    "admin.norm.category": "Category: {before} → {after}",
    "admin.norm.keeps": "Kept",
    "admin.norm.merges": "Merged and deactivated",
    "admin.norm.accept": "Accept",
    "admin.norm.edit": "Edit",
    "admin.norm.reject": "Reject",
    "admin.norm.accepted": "Suggestion applied",
    "admin.norm.rejected": "Suggestion rejected",
    "admin.norm.select_all": "Select all",
    "admin.norm.bulk_accept": "Accept selected",
    "admin.norm.bulk_reject": "Reject selected",
    "admin.norm.bulk_done": "{ok} applied, {failed} with problems",
    "admin.norm.edit_title": "Edit before applying",
    "admin.norm.name": "Name",
    "admin.norm.category_field": "Category",
    "admin.norm.keep": "Back",
}

register_texts(ES, EN)
