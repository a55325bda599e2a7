"""A keyboard-wedge scanner at the counter: every code lands, wherever the focus is.

A scanner types a code and Enter in a few milliseconds, then the next code at once. The
browser reads each code at its Enter and clears the field itself (a round trip to the
server would clear the next code being typed); the server queues codes and rings them up in
order. Keys typed where no field takes them (the receipt screen, a click on the page) are
collected here too: a code scanned at the receipt starts the next sale. F2, F4, F8 and Esc
reach the screen only when no dialog is open, so Esc closes just the topmost dialog (Quasar
does that itself) and never empties the sale.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from nicegui import Client, context, ui
from nicegui.events import GenericEventArguments

SHORTCUT_KEYS = ("F2", "F4", "F8", "Escape")

_PAGE_JS = """
<script>
(() => {
  if (window.__stockyCounter) return;
  const state = { buf: "" };
  state.take = () => { const b = state.buf; state.buf = ""; return b; };
  window.__stockyCounter = state;
  const keys = %(keys)s;
  const atCounter = () => /^\\/(vender|recibo)/.test(location.pathname);
  const editable = (t) =>
    t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName || ""));
  document.addEventListener("keydown", (e) => {
    if (!atCounter() || e.isComposing) return;
    const dialog = document.querySelector(".q-dialog");
    const t = e.target;
    if (keys.includes(e.key)) {
      if (dialog) return;
      e.preventDefault();
      emitEvent("stocky_key", e.key);
      return;
    }
    if (dialog || editable(t) || e.ctrlKey || e.altKey || e.metaKey) return;
    if (e.key.length === 1) {
      state.buf += e.key;
      e.preventDefault();
    } else if (e.key === "Enter" && state.buf) {
      e.preventDefault();
      e.stopPropagation();
      emitEvent("stocky_scan", state.take());
    }
  }, true);
})();
</script>
"""

# On the scan field: Enter reads the code where it was typed and clears the field in the
# browser; with a suggestion picked by the arrows, Enter takes that product instead.
_ENTER_JS = """(e) => {
  const field = getElement(%(id)d);
  const picked = document.querySelector('[data-testid="suggestion"].stocky-active');
  const before = window.__stockyCounter ? window.__stockyCounter.take() : "";
  const code = before + (e.target.value || "");
  e.preventDefault();
  field.inputValue = "";
  if (picked && !before) { picked.click(); return; }
  if (code.trim()) emit(code);
}"""
_ARROW_JS = """(e) => {
  const list = Array.from(document.querySelectorAll('[data-testid="suggestion"]'));
  if (!list.length) return;
  e.preventDefault();
  let i = list.findIndex((el) => el.classList.contains("stocky-active"));
  list.forEach((el) => el.classList.remove("stocky-active"));
  i = %(step)d > 0 ? Math.min(i + 1, list.length - 1) : Math.max(i - 1, 0);
  list[i].classList.add("stocky-active");
  list[i].scrollIntoView({ block: "nearest" });
}"""
ACTIVE_CSS = ".stocky-active { background: rgba(25, 118, 210, 0.12); }"


def install_page_script() -> None:
    """Once per process: every page of the caja carries the key listener."""
    ui.add_head_html(_PAGE_JS % {"keys": list(SHORTCUT_KEYS)}, shared=True)
    ui.add_css(ACTIVE_CSS, shared=True)


class CounterScreen(Protocol):
    def enqueue(self, code: str) -> None: ...
    def on_shortcut(self, key: str) -> None: ...
    def alive(self) -> bool: ...


@dataclass
class _Counter:
    """One browser tab's counter: the screen ringing up, or codes waiting for it."""

    screen: CounterScreen | None = None
    pending: list[str] = field(default_factory=list)
    navigating: bool = False


_counters: weakref.WeakKeyDictionary[Client, _Counter] = weakref.WeakKeyDictionary()


def _counter(client: Client) -> _Counter:
    found = _counters.get(client)
    if found is None:
        found = _counters[client] = _Counter()
        client.layout.on("stocky_scan", lambda e: _on_scan(client, e))
        client.layout.on("stocky_key", lambda e: _on_key(client, e))
    return found


def wire() -> None:
    """Listen to this tab's stray scans and shortcuts (idempotent)."""
    _counter(context.client)


def _live(counter: _Counter) -> CounterScreen | None:
    screen = counter.screen
    return screen if screen is not None and screen.alive() else None


def _on_scan(client: Client, e: GenericEventArguments) -> None:
    if not isinstance(e.args, str) or not e.args.strip():
        return
    counter = _counter(client)
    screen = _live(counter)
    if screen is not None:
        screen.enqueue(e.args)
        return
    # The receipt (or a screen on its way): the code waits for the next sale's screen.
    counter.pending.append(e.args)
    if not counter.navigating:
        counter.navigating = True
        with client:
            ui.navigate.to("/vender")


def _on_key(client: Client, e: GenericEventArguments) -> None:
    screen = _live(_counter(client))
    if screen is not None and isinstance(e.args, str):
        screen.on_shortcut(e.args)


def attach(screen: CounterScreen) -> list[str]:
    """Make `screen` this tab's counter; the codes scanned before it was there, in order."""
    counter = _counter(context.client)
    counter.screen = screen
    counter.navigating = False
    codes, counter.pending = counter.pending, []
    return codes


def scan_field_events(scan: ui.input, on_code: Callable[[GenericEventArguments], None]) -> None:
    """Enter sends the code read in the browser; the arrows walk the suggestions."""
    scan.on("keydown.enter", on_code, js_handler=_ENTER_JS % {"id": scan.id})
    scan.on("keydown.down", js_handler=_ARROW_JS % {"step": 1})
    scan.on("keydown.up", js_handler=_ARROW_JS % {"step": -1})
