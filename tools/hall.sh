#!/usr/bin/env bash
# Quick start: set up, then run the hall app on its embedded default. Extra arguments go to
# `yizhan hall` (e.g. --offscreen --screenshots out/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
if [[ $# -eq 0 && -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" && "$(uname)" == "Linux" ]]; then
  # A server or CI machine with no screen: render every screen to PNG instead of failing.
  echo "hall: no screen here (DISPLAY is not set); rendering every screen to out/screenshots/ instead"
  exec .venv/bin/yizhan hall --offscreen --screenshots out/screenshots
fi
exec .venv/bin/yizhan hall "$@"
