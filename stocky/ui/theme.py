"""One look for the caja and the web admin: colors, type scale and touch-sized controls."""

from __future__ import annotations

from typing import Final

from nicegui import ui

PRIMARY: Final = "#0f766e"  # teal 700: calm, readable on a bright shop floor
SECONDARY: Final = "#334155"
ACCENT: Final = "#f59e0b"
POSITIVE: Final = "#16a34a"
NEGATIVE: Final = "#dc2626"
WARNING: Final = "#d97706"
SURFACE: Final = "#f1f5f9"

_CSS: Final = f"""
body {{ background: {SURFACE}; font-family: 'Inter', 'Segoe UI', Roboto, sans-serif; }}
.stocky-card {{ background: white; border-radius: 14px; box-shadow: 0 1px 3px rgba(15,23,42,.08),
  0 1px 2px rgba(15,23,42,.04); }}
.stocky-total {{ font-size: 2.6rem; font-weight: 800; letter-spacing: -0.02em;
  color: #0f172a; font-variant-numeric: tabular-nums; }}
.stocky-num {{ font-variant-numeric: tabular-nums; }}
.stocky-kbd {{ border: 1px solid #cbd5e1; border-bottom-width: 2px; border-radius: 6px;
  padding: 1px 6px; font-size: .75rem; font-weight: 700; background: white; color: #334155; }}
.stocky-low {{ background: #fef3c7 !important; }}
.stocky-negative {{ background: #fee2e2 !important; }}
.stocky-big-btn {{ min-height: 56px; font-size: 1.1rem !important; border-radius: 12px; }}
.stocky-statusbar {{ background: #0f172a; color: #e2e8f0; font-size: .85rem; }}
/* Toasts sit above the status bar, never over the pending count a cashier watches. */
.q-notifications__list--bottom {{ bottom: 2.5rem; }}
.stocky-muted {{ color: #64748b; }}
.q-table th {{ font-weight: 700; color: #475569; }}
"""


def apply_theme() -> None:
    """Call once per page: Quasar brand colors and the shared CSS."""
    ui.colors(
        primary=PRIMARY,
        secondary=SECONDARY,
        accent=ACCENT,
        positive=POSITIVE,
        negative=NEGATIVE,
        warning=WARNING,
    )
    ui.add_css(_CSS)
