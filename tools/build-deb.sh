#!/usr/bin/env bash
# Build the hall PC's Debian package: dist/yizhan_<version>_<arch>.deb.
#
# The app goes to /opt/yizhan: its source in /opt/yizhan/app (with assets/ and config/, laid out
# as in this repository, so the bundled fonts and sounds are found as in a checkout) and its own
# virtual environment in /opt/yizhan/venv, built here with pip (from PyPI or the local wheel
# cache) on Debian's own python3: nothing is downloaded when the package is installed.
# The venv is built for this machine's Python minor version and architecture, so the package
# Depends on exactly that python3.X. Usage: bash tools/build-deb.sh [--out DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=dist
[[ "${1:-}" == "--out" ]] && OUT=$2

PY=/usr/bin/python3   # Debian's interpreter: the installed venv links to it
command -v dpkg-deb >/dev/null || { echo "build-deb: dpkg-deb is needed (apt-get install dpkg-dev)" >&2; exit 1; }
[[ -x $PY ]] || { echo "build-deb: Debian's $PY is needed" >&2; exit 1; }
PYVER=$($PY -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
VERSION=$($PY -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
ARCH=$(dpkg --print-architecture)
PREFIX=/opt/yizhan
WORK=$(mktemp -d "${TMPDIR:-/tmp}/yizhan-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root
APP=$ROOT$PREFIX

echo "build-deb: yizhan $VERSION for $ARCH (python$PYVER)"
# --- the virtual environment with the hall's and the office's packages (not yizhan itself) ---
$PY -m venv --without-pip "$APP/venv"
HOST_PIP=(python3 -m pip)
[[ -x .venv/bin/python ]] && HOST_PIP=(.venv/bin/python -m pip)
"${HOST_PIP[@]}" --python "$APP/venv/bin/python" install -q --disable-pip-version-check --no-compile \
  ".[hall,office]"
"${HOST_PIP[@]}" --python "$APP/venv/bin/python" uninstall -q -y yizhan
SITE=$APP/venv/lib/python$PYVER/site-packages
echo "$PREFIX/app" > "$SITE/yizhan.pth"   # the app's source is on the venv's path, as in a checkout

# --- the app: source, assets, example configs ---
mkdir -p "$APP/app"
for part in kiosk sync display assets config; do
  # Tracked and new files (not ignored ones: no caches, no local databases).
  git ls-files -z --cached --others --exclude-standard "$part" | xargs -0 -I{} cp --parents {} "$APP/app/"
done
cat > "$APP/venv/bin/yizhan" <<SCRIPT
#!$PREFIX/venv/bin/python
import sys

from kiosk.cli import main

sys.exit(main())
SCRIPT
chmod 755 "$APP/venv/bin/yizhan"
# Scripts pip wrote name the build directory; on the hall PC the venv is at $PREFIX/venv.
grep -rlI --null "$APP" "$APP/venv/bin" "$APP/venv/pyvenv.cfg" | xargs -0 -r sed -i "s|$APP|$PREFIX|g"
rm -f "$APP"/venv/bin/activate*  "$APP"/venv/bin/Activate.ps1
# Qt as the hall uses it (QtCore, QtGui, QtWidgets on xcb/offscreen): PySide6-Essentials also
# carries QML/Quick, Designer, Wayland, tools and type stubs, over 100 MB the hall never loads.
# Whatever still links to a removed library is removed too (ldd), so nothing is left half-working;
# the CI's installed `yizhan hall --offscreen --exit-when-ready` checks what remains (tools/deb-test.sh).
PS=$SITE/PySide6
rm -rf "$PS"/Qt/qml "$PS"/Qt/metatypes "$PS"/Qt/libexec "$PS"/include "$PS"/typesystems "$PS"/glue "$PS"/doc \
  "$PS"/*.pyi "$PS"/scripts "$PS"/assistant "$PS"/designer "$PS"/linguist "$PS"/lrelease "$PS"/lupdate \
  "$PS"/qml* "$PS"/svgtoqml "$PS"/libpyside6qml* "$APP"/venv/bin/pyside6-* \
  "$PS"/Qt/plugins/{designer,qmllint,qmltooling,sqldrivers,wayland-*,vectorimageformats,tls,networkinformation} \
  "$PS"/Qt/plugins/platforms/libqwayland* "$PS"/Qt/plugins/platforms/libqvkkhrdisplay.so
find "$PS"/Qt/translations -type f ! -name 'qtbase_*' -delete
for lib in Qml Quick Labs Lottie Designer Help Wayland WlShell UiTools Test Sql; do
  rm -f "$PS"/Qt/lib/libQt6"$lib"*.so*
done
for mod in QtQml QtQuick QtQuickControls2 QtQuickTest QtQuickWidgets QtDesigner QtHelp QtUiTools QtTest QtSql; do
  rm -f "$PS/$mod.abi3.so"
done
while :; do  # drop whatever now misses a library, until nothing does
  broken=$(find "$PS" -name '*.so*' -type f | while read -r so; do
    LD_LIBRARY_PATH="$PS/Qt/lib:$PS" ldd "$so" 2>/dev/null | grep -q "not found" && echo "$so"; done || true)
  [[ -z $broken ]] && break
  echo "$broken" | sed "s|$PS/|build-deb: dropping (needs a removed Qt library) |"
  echo "$broken" | xargs rm -f
done
python_check=$("$APP/venv/bin/python" -c 'import PySide6.QtWidgets, PySide6.QtGui, PySide6.QtCore; print("ok")')
[[ $python_check == ok ]]

# Byte-compiled here, as installing a wheel would (otherwise every start compiles ~100 modules);
# the recorded file names are the installed ones.
$PY -m compileall -q -j0 -s "$ROOT" -p / "$APP/app" "$SITE" >/dev/null || true

# --- system files ---
install -d "$ROOT/usr/bin" "$ROOT/etc/yizhan" "$ROOT/lib/systemd/system" "$ROOT/usr/lib/systemd/journald.conf.d" \
  "$ROOT/usr/share/doc/yizhan"
ln -s "$PREFIX/venv/bin/yizhan" "$ROOT/usr/bin/yizhan"
# Configs from the examples, with the packaged data directories; conffiles: kept on upgrade.
sed 's|^# data_dir = "/var/lib/yizhan".*|data_dir = "/var/lib/yizhan"       # the packaged data directory|' \
  config/hall.example.toml > "$ROOT/etc/yizhan/hall.toml"
sed 's|^# data_dir = "/var/lib/yizhan-office".*|data_dir = "/var/lib/yizhan/office"   # the packaged data directory|' \
  config/office.example.toml > "$ROOT/etc/yizhan/office.toml"
grep -q '^data_dir = "/var/lib/yizhan"' "$ROOT/etc/yizhan/hall.toml"
grep -q '^data_dir = "/var/lib/yizhan/office"' "$ROOT/etc/yizhan/office.toml"
install -m 644 packaging/systemd/*.service "$ROOT/lib/systemd/system/"
install -m 644 packaging/systemd/journald-yizhan.conf "$ROOT/usr/lib/systemd/journald.conf.d/60-yizhan.conf"
install -m 755 packaging/systemd/yizhan-kiosk packaging/systemd/yizhan-kiosk-session "$APP/venv/bin/"
install -m 644 packaging/debian/copyright "$ROOT/usr/share/doc/yizhan/"
cp README.md "$APP/app/"

# --- control ---
install -d "$ROOT/DEBIAN"
(cd "$ROOT" && find etc -type f | sed 's|^|/|' | sort) > "$ROOT/DEBIAN/conffiles"
# The schema revisions this version knows: preinst refuses to install over a newer schema.
known() { sed -n 's/^revision[^=]*= *["'"'"']\([^"'"'"']*\)["'"'"'].*/\1/p' "$@" | tr '\n' ' '; }
CACHE_REVS=$(known sync/cache/migrations/versions/*.py)
OFFICE_REVS=$(known sync/office/migrations/versions/*.py)
for script in preinst postinst prerm postrm; do
  sed -e "s|@CACHE_REVISIONS@|$CACHE_REVS|" -e "s|@OFFICE_REVISIONS@|$OFFICE_REVS|" -e "s|@VERSION@|$VERSION|" \
    "packaging/debian/$script" > "$ROOT/DEBIAN/$script"
  chmod 755 "$ROOT/DEBIAN/$script"
done
SIZE_KB=$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
sed -e "s|@VERSION@|$VERSION|" -e "s|@ARCH@|$ARCH|" -e "s|@PYVER@|$PYVER|g" -e "s|@SIZE@|$SIZE_KB|" \
  packaging/debian/control > "$ROOT/DEBIAN/control"

mkdir -p "$OUT"
DEB=$OUT/yizhan_${VERSION}_${ARCH}.deb
# zstd: close to xz in size, and much faster to build and unpack (dpkg >= 1.21.18, Debian 12).
dpkg-deb --root-owner-group -Zzstd -z9 --build "$ROOT" "$DEB" >/dev/null
echo "build-deb: $DEB ($(du -h "$DEB" | cut -f1), $((SIZE_KB / 1024)) MB installed)"
