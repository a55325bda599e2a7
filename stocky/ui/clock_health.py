"""The clock-skew warning as people read it, shared by the caja's status bar and the web
admin: "Reloj desfasado: +3 min 12 s" (the caja ahead of the cloud is +)."""

from __future__ import annotations

from stocky.ui.i18n import register_texts, t

ES = {
    "clock.skewed": "Reloj desfasado: {offset}",
    "clock.check_pc": "revise la fecha y hora del equipo",
}
EN = {
    "clock.skewed": "Clock off: {offset}",
    "clock.check_pc": "check this PC's date and time",
}
register_texts(ES, EN)


def format_offset(offset_ms: float) -> str:
    """+3 min 12 s, -45 s, +2 h 5 min, +3 d 4 h: the two largest units, whole numbers."""
    sign = "-" if offset_ms < 0 else "+"
    seconds = round(abs(offset_ms) / 1000)
    parts: list[str] = []
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min"), (1, "s")):
        # The largest unit that fits, then always the next one down (never "1 h 1 s").
        if parts or seconds >= size or size == 1:
            parts.append(f"{seconds // size} {unit}")
            seconds %= size
        if len(parts) == 2:
            break
    # Trailing zero units read as noise: "+3 min", not "+3 min 0 s".
    while len(parts) > 1 and parts[-1].startswith("0 "):
        parts.pop()
    return sign + " ".join(parts)


def clock_skew_text(offset_ms: float) -> str:
    return t("clock.skewed", offset=format_offset(offset_ms))
