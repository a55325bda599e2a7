"""Fixtures shared by every test package (see tests/fixtures/)."""

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.cloud",
    "tests.fixtures.cloud_process",
    "tests.fixtures.live",
]
