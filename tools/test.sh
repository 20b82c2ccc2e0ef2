#!/usr/bin/env bash
# Set up, then lint and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh --test
export QT_QPA_PLATFORM=offscreen
echo "== ruff"
.venv/bin/ruff check .
echo "== pytest"
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [[ $rc -eq 5 ]]; then
  echo "pytest collected no tests: that is a failure" >&2
  exit 1
fi
exit $rc
