#!/usr/bin/env bash
# Build the caja's bundle, dist/stocky-caja/ (PyInstaller onedir) with the build venv .venv.
# Usage: packaging/build.sh [--version 1.2.0] [--dist DIR] [--work DIR]
# (or STOCKY_BUILD_VERSION=1.2.0 packaging/build.sh). See docs/bundle.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${STOCKY_BUILD_PYTHON:-.venv/bin/python}
exec "$PYTHON" packaging/build.py "$@"
