#!/usr/bin/env bash
# The caja's PyInstaller bundle builds, holds the caja alone, and runs with no Python (issue
# 19 item 2): packaging/build.sh builds dist/stocky-caja (and checks that no cloud or dev
# module is inside, packaging/check_bundle.py); the bundled executable's self-check finds
# keyring's backends, NiceGUI's files, zeroconf, uvicorn and SQLCipher; then, with PATH
# /usr/bin:/bin and an empty PYTHONPATH, it activates against a cloud started from .venv,
# serves its screens, sells and the sale reaches the cloud (tests/install/edge_only.py
# --caja). Last, the .deb: its control and contents, and the executable run from a dpkg -x
# of it. Run from CI (.ci/run) after tests/install/edge_only.sh; needs `make .venv/.installed`.
set -euo pipefail
cd "$(dirname "$0")/../.."

work=$(mktemp -d -t stocky-bundle.XXXXXX)
trap 'rm -rf "$work"' EXIT
version="0.0.0.dev$(date +%s)"
started=$SECONDS

echo "-- packaging/build.sh --version $version"
packaging/build.sh --version "$version" --dist "$work/dist" --work "$work/build"
bundle="$work/dist/stocky-caja"
caja="$bundle/stocky-caja"
no_python=(env -u VIRTUAL_ENV -u PYTHONHOME PATH=/usr/bin:/bin PYTHONPATH= HOME="$work/home")
built=$SECONDS

echo "-- the bundle's version and self-check, with no Python around"
got=$("${no_python[@]}" "$caja" version)
[ "$got" = "$version" ] || { echo "FAIL: stocky-caja version said '$got', not $version" >&2; exit 1; }
"${no_python[@]}" "$caja" self-check >"$work/self-check.json" || {
  echo "FAIL: the bundle's self-check:" >&2; cat "$work/self-check.json" >&2; exit 1
}
.venv/bin/python -c '
import json, sys
checks = json.load(open(sys.argv[1]))["checks"]
print("keyring backend here:", checks["keyring"]["backend"], "| SQLCipher", checks["sqlcipher"].get("cipher_version"))
' "$work/self-check.json"

echo "-- the bundled caja activates, shows its screens, sells; the sale reaches the cloud"
.venv/bin/python tests/install/edge_only.py --caja "$caja" --work "$work/live" --screens --no-python-env

echo "-- packaging/deb.sh"
deb=$(packaging/deb.sh "$bundle" "$work/deb" | tail -1 | cut -d' ' -f1)
dpkg-deb --info "$deb" >"$work/deb-info"
grep -q "^ Package: stocky-caja$" "$work/deb-info" && grep -q "^ Version: $version$" "$work/deb-info" || {
  echo "FAIL: the .deb's control:" >&2; cat "$work/deb-info" >&2; exit 1
}
dpkg-deb --contents "$deb" >"$work/deb-contents"
for path in ./opt/stocky-caja/stocky-caja ./opt/stocky-caja/VERSION \
  "./usr/bin/stocky-caja -> /opt/stocky-caja/stocky-caja" \
  ./usr/share/applications/stocky-caja.desktop ./usr/share/icons/hicolor/256x256/apps/stocky-caja.png; do
  grep -qF " $path" "$work/deb-contents" || { echo "FAIL: the .deb has no $path" >&2; exit 1; }
done
dpkg-deb -x "$deb" "$work/root"
grep -q '^Exec=/usr/lib/stocky-caja/desktop-launch$' "$work/root/usr/share/applications/stocky-caja.desktop"
got=$("${no_python[@]}" "$work/root/opt/stocky-caja/stocky-caja" version)
[ "$got" = "$version" ] || { echo "FAIL: the .deb's stocky-caja said '$got'" >&2; exit 1; }
"${no_python[@]}" "$work/root/opt/stocky-caja/stocky-caja" self-check >/dev/null
echo "$(basename "$deb"): $(du -h "$deb" | cut -f1), runs from the unpacked package"
echo "bundle: built in $((built - started)) s, $(du -sh "$bundle" | cut -f1); the whole step $((SECONDS - started)) s"
