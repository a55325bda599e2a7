"""Fixtures shared by every test package (see tests/fixtures/)."""

import os

# The caja's money rules (stocky.edge.shifts.policy) default to: cash needs an open shift,
# a whole-ticket return needs a manager. Tests that do not test those rules keep the older,
# looser behaviour (inherited by the cajas they start as processes); the rules' own tests set
# the sede's `caja_policy`, which wins over this.
os.environ.setdefault(
    "STOCKY_CAJA_POLICY", '{"shift_required": "none", "return_approval_whole_ticket": false}'
)

# Cajas started by tests (in-process or as processes) keep off the LAN unless the test is
# about it: two cajas of one sede would otherwise both listen on port 3001.
os.environ.setdefault("STOCKY_EDGE_LAN", "off")

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.cloud",
    "tests.fixtures.cloud_process",
    "tests.fixtures.live",
    "tests.fixtures.worker_process",
]


def _patient_httpx_helpers() -> None:
    """httpx's module-level helpers (httpx.post, httpx.get, ...) give up after 5 s, which on a
    shared two-core CI machine is a timed assertion: a live cloud busy with another test's
    work answered a seeding POST after more than 5 s (CI run of 2026-12-01). Tests that mean
    to time something pass their own timeout; the rest wait like a patient client."""
    import httpx

    patient = httpx.Timeout(30.0, connect=10.0)
    for helper in (
        httpx.request,
        httpx.get,
        httpx.options,
        httpx.head,
        httpx.post,
        httpx.put,
        httpx.patch,
        httpx.delete,
    ):
        defaults = helper.__kwdefaults__
        if defaults is not None and "timeout" in defaults:
            defaults["timeout"] = patient


_patient_httpx_helpers()


def _patient_simulated_user() -> None:
    """NiceGUI's simulated user looks three times, 0.1 s apart, for what it should (not) see:
    0.3 s is a timed assertion on a loaded CI machine (a scanned product's line, drawn after
    the store's writer thread answered, came later in two CI runs of 2026-12-03). It looks
    for up to 5 s instead; a test that passes its own retries keeps them."""
    from nicegui.testing.user import User

    for method in (User.should_see, User.should_not_see):
        defaults = method.__kwdefaults__
        if defaults is not None and "retries" in defaults:
            defaults["retries"] = 50


_patient_simulated_user()
