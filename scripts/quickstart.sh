#!/usr/bin/env bash
# Fresh Debian 12 machine to a measured tick stream: set up, start a local nats-server,
# publish ticks at 6,000/s and let the probe print its windows and the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

STATE=${SOAKWATCH_STATE_DIR:-.soakwatch}/quickstart
mkdir -p "$STATE"
PY=.venv/bin/python
read -r PORT MONITOR < <($PY -c 'from soakwatch.stack import free_port; print(free_port(), free_port())')
/usr/sbin/nats-server -a 127.0.0.1 -p "$PORT" -m "$MONITOR" -js -sd "$STATE/jetstream" >"$STATE/nats-server.log" 2>&1 &
NATS_PID=$!
trap 'kill $NATS_PID 2>/dev/null || true' EXIT
export NATS_URL="nats://127.0.0.1:$PORT"
$PY -c "from soakwatch.testing import wait_for; from soakwatch.stack.servers import http_ok; \
wait_for(lambda: http_ok('http://127.0.0.1:$MONITOR/healthz'), 10, message='nats-server')"

echo "quickstart: nats-server on $NATS_URL; publishing 6,000 ticks/s for 25 s and probing for 20 s"
.venv/bin/soakwatch ticks --rate 6000 --duration 25 &
TICKS_PID=$!
.venv/bin/nats-throughput-probe --duration 20 --window 5 --out "$STATE/probe_summary.json"
wait $TICKS_PID
echo "quickstart: summary written to $STATE/probe_summary.json"
