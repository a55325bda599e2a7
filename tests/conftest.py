"""Fixtures shared by every test package (see tests/fixtures/)."""

import os

# The caja's money rules (stocky.edge.shifts.policy) default to: cash needs an open shift,
# a whole-ticket return needs a manager. Tests that do not test those rules keep the older,
# looser behaviour (inherited by the cajas they start as processes); the rules' own tests set
# the sede's `caja_policy`, which wins over this.
os.environ.setdefault(
    "STOCKY_CAJA_POLICY", '{"shift_required": "none", "return_approval_whole_ticket": false}'
)

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.cloud",
    "tests.fixtures.cloud_process",
    "tests.fixtures.live",
]
