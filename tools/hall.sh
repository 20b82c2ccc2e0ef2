#!/usr/bin/env bash
# Quick start: set up, then run the hall app on its embedded default. Extra arguments go to
# `yizhan hall` (e.g. --offscreen --screenshots out/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
exec .venv/bin/yizhan hall "$@"
