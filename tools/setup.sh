#!/usr/bin/env bash
# Set up everything Yizhan needs on a fresh Debian/Ubuntu machine (idempotent, quick when done):
# the Debian libraries Qt needs to run (offscreen or on a screen), and a virtual environment
# in .venv with the package and its dependencies. Usage: bash tools/setup.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

# Qt's own shared-library needs (xcb for a real screen, EGL/fontconfig for offscreen too),
# plus audio players for the voice call. Installed only if missing, and only with apt.
DEBIAN_PACKAGES=(
  python3-venv libgl1 libegl1 libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0
  libxkbcommon0 libxkbcommon-x11-0 libx11-xcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0
  libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1
  alsa-utils
  libzinnia0 tegaki-zinnia-simplified-chinese espeak-ng
)
# Test-only: a real X server, real pointer input and xwininfo (window tests, the handwriting pad on X11);
# systemd for systemd-analyze in tools/deb-test.sh; Debian's Chromium and ChromeDriver for the web page tests.
((want_test)) && DEBIAN_PACKAGES+=(xvfb xdotool x11-utils systemd chromium chromium-driver)
if command -v apt-get >/dev/null && command -v dpkg-query >/dev/null; then
  missing=()
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    echo "setup: installing Debian packages: ${missing[*]}"
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "setup: Python 3.11 or newer is needed (found $("$PY" --version 2>&1))" >&2; exit 1; }

[[ -x .venv/bin/python ]] || "$PY" -m venv .venv
extras="[hall]"; ((want_test)) && extras="[hall,test]"  # the hall PC's packages; the office server needs only [office]
stamp=".venv/.installed$( ((want_test)) && echo -test)-$(sha256sum pyproject.toml | cut -c1-16)"
if [[ ! -f "$stamp" ]]; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras}"
  touch "$stamp"
fi

# Byte-compile the app, as installing a wheel would: otherwise, where PYTHONDONTWRITEBYTECODE is
# set (as on our CI machines), every start compiles the app's ~100 modules again (some 15 ms
# before the kiosk's first paint). Only changed files are compiled again.
.venv/bin/python -m compileall -q kiosk sync display >/dev/null
