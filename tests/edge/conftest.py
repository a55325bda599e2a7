"""The caja tests' mode: STOCKY_TEST_EDGE_ENCRYPTED=1 runs them on SQLCipher-encrypted stores.

Set in os.environ at import, so the cajas the tests start in subprocesses (activation, live
cajas, kill -9 runs) create their files encrypted too.
"""

from __future__ import annotations

import os

from stocky.edge.store.cipher import ENCRYPT_NEW_ENV, KEYRING_ENV

if os.environ.get("STOCKY_TEST_EDGE_ENCRYPTED") == "1":
    os.environ[ENCRYPT_NEW_ENV] = "1"
# Keys go to the device secret file beside each test's db, never into a developer's keyring.
os.environ.setdefault(KEYRING_ENV, "off")
