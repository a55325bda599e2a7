#!/usr/bin/env bash
# Wrap a built bundle into a .deb: packaging/deb.sh [BUNDLE_DIR] [OUT_DIR]
# (defaults dist/stocky-caja and dist). The bundle goes to /opt/stocky-caja, with
# /usr/bin/stocky-caja a symlink to its executable, a desktop entry in
# /usr/share/applications and the icon in the hicolor theme. The version is the bundle's
# VERSION (packaging/build.sh). Needs dpkg-deb; fakeroot is used when not root.
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=$(realpath "${1:-dist/stocky-caja}")
out=$(realpath -m "${2:-dist}")
PYTHON=${STOCKY_BUILD_PYTHON:-.venv/bin/python}

[ -x "$bundle/stocky-caja" ] && [ -f "$bundle/VERSION" ] || {
  echo "error: $bundle is not a built bundle (stocky-caja and VERSION expected); run packaging/build.sh" >&2
  exit 1
}
version=$(tr -d '[:space:]' <"$bundle/VERSION")
arch=$(dpkg --print-architecture)
root=$(mktemp -d -t stocky-deb.XXXXXX)
chmod 755 "$root"  # mktemp makes it 0700: it becomes the / of the package
trap 'rm -rf "$root"' EXIT

mkdir -p "$root/DEBIAN" "$root/opt" "$root/usr/bin" "$root/usr/lib/stocky-caja" \
  "$root/usr/share/applications" "$root/usr/share/icons/hicolor/256x256/apps"
cp -a "$bundle" "$root/opt/stocky-caja"
ln -s /opt/stocky-caja/stocky-caja "$root/usr/bin/stocky-caja"

# The menu entry starts each user's caja on its own data dir: a desktop file cannot expand
# $HOME in Exec, so a small launcher does (`stocky-caja run` needs --data-dir).
cat >"$root/usr/lib/stocky-caja/desktop-launch" <<'LAUNCH'
#!/bin/sh
exec /opt/stocky-caja/stocky-caja run --data-dir "${STOCKY_CAJA_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/stocky-caja}" "$@"
LAUNCH
chmod 755 "$root/usr/lib/stocky-caja/desktop-launch"

cat >"$root/usr/share/applications/stocky-caja.desktop" <<'DESKTOP'
[Desktop Entry]
Type=Application
Name=Stocky Caja
GenericName=Point of sale
GenericName[es]=Punto de venta
Comment=Sell and keep stock at this checkout, online or offline
Comment[es]=Vender y llevar el stock en esta caja, con o sin conexión
Exec=/usr/lib/stocky-caja/desktop-launch
Icon=stocky-caja
Terminal=false
Categories=Office;Finance;
StartupNotify=true
DESKTOP
"$PYTHON" packaging/icon.py "$root/usr/share/icons/hicolor/256x256/apps/stocky-caja.png"

size_kb=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
# The bundle carries its own Python and libraries; what it takes from the system is glibc
# and, for the native window, GTK's WebKit (else the caja opens the browser).
cat >"$root/DEBIAN/control" <<CONTROL
Package: stocky-caja
Version: $version
Architecture: $arch
Maintainer: Stocky <soporte@stocky.invalid>
Installed-Size: $size_kb
Depends: libc6 (>= 2.31)
Recommends: gir1.2-webkit2-4.1 | gir1.2-webkit2-4.0, python3-gi
Section: misc
Priority: optional
Homepage: https://stocky.invalid
Description: Stocky caja: offline-first point of sale
 The checkout PC's app of Stocky: sells, keeps its own database and syncs
 with the cloud when there is a connection. A self-contained bundle (its
 own Python), installed in /opt/stocky-caja.
CONTROL

mkdir -p "$out"
deb="$out/stocky-caja_${version}_${arch}.deb"
# gzip: xz takes minutes over a 150 MB bundle for a few MB less.
build=(dpkg-deb --root-owner-group -Zgzip --build "$root" "$deb")
if [ "$(id -u)" != 0 ] && command -v fakeroot >/dev/null; then build=(fakeroot "${build[@]}"); fi
"${build[@]}" >/dev/null
echo "$deb ($(du -h "$deb" | cut -f1))"
