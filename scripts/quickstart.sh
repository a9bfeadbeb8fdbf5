#!/usr/bin/env bash
# Fresh Debian 12 machine (as root, no Docker) to a soak verdict: set up, then
# `soakwatch quickstart`: start the local stack, run the demo pipeline for a few
# minutes (QUICKSTART_MINUTES, default 3), run verify-soak over the run with the
# evidence in <state>/runs/<run id>/evidence, print the verdict and where the report is, and
# stop the stack (also on failure or Ctrl-C). Extra arguments go to
# `soakwatch quickstart`, e.g. --fault stall:signals@30s+2m.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
STATE=${SOAKWATCH_STATE_DIR:-.soakwatch}
trap '.venv/bin/soakwatch down --state-dir "$STATE" >/dev/null 2>&1 || true' EXIT
.venv/bin/soakwatch quickstart --state-dir "$STATE" --minutes "${QUICKSTART_MINUTES:-3}" "$@"
