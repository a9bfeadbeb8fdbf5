"""verify-soak compare on two real demo runs in one local stack: a clean baseline, then a candidate whose ticks
lag.

The runs are short, so the comparison samples every 6 s (``--step``: Prometheus scrapes every second, the
exporter samples the processes every 5 s) and accepts 8 samples a side. The tick stream is this stack's own;
the per-process metrics are not asserted here: the demo exporter matches worker processes by command line on
the whole host, so another demo running on the same machine can stand in for this one's broker (the leak is
judged on backfilled runs in tests/integration/verify/test_verify_compare.py).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from soakwatch.demo import cli as demo_cli
from soakwatch.demo import quickstart
from soakwatch.stack import cli as stack_cli
from soakwatch.verify.cli import main as verify_main

REPO_ROOT = Path(__file__).resolve().parents[3]
DEMO = ["--heartbeat-interval=2", "--stats-interval=2", "--export-interval=10", "--rate=1000"]
MINUTES = 1.0
CRITERIA = "compare:\n  min_samples: 8\n"  # a minute at a 6 s step: 9 samples a side


def _window(state_dir: Path) -> tuple[str, str]:
    since, until = quickstart.verify_window(state_dir / demo_cli.DEMO_DIR, 1.0)
    return since, f"{until:.3f}"


@pytest.mark.slow
def test_a_candidate_with_lagging_ticks_regresses_on_p99_against_a_clean_run(tmp_path, port_flags, capsys):
    state_dir = (tmp_path / "state").resolve()
    criteria = tmp_path / "criteria.yaml"
    criteria.write_text(CRITERIA)
    port = dict(zip(port_flags[::2], port_flags[1::2], strict=True))
    try:
        code = quickstart.main(["--state-dir", str(state_dir), "--config-dir", str(REPO_ROOT), "--minutes",
                                str(MINUTES), "--keep-up", "--scrape-interval", "1s", *port_flags,
                                *(f"--demo-arg={arg}" for arg in DEMO)])
        assert code in (0, 1), capsys.readouterr().out  # a verdict (a short, slow run fails its fixed limits)
        baseline = _window(state_dir)
        assert demo_cli.main(["--minutes", str(MINUTES), "--state-dir", str(state_dir),
                              "--nats-url", f"nats://127.0.0.1:{port['--nats-port']}",
                              "--pushgateway-url", f"http://127.0.0.1:{port['--pushgateway-port']}", *DEMO,
                              "--fault", "lag:ticks@0s+2m=0.02"]) == 0
        candidate = _window(state_dir)
        time.sleep(2.0)  # Prometheus has scraped past the candidate's end
        capsys.readouterr()
        code = verify_main(["compare", "--prometheus-url", f"http://127.0.0.1:{port['--prometheus-port']}",
                            "--baseline-since", baseline[0], "--baseline-until", baseline[1],
                            "--candidate-since", candidate[0], "--candidate-until", candidate[1],
                            "--step", "6s", "--criteria", str(criteria), "--format", "json"])
        document = json.loads(capsys.readouterr().out)
    finally:
        stack_cli.down(["--state-dir", str(state_dir)])
    p99 = next(m for m in document["metrics"] if m["metric"] == "tick_latency_p99")
    assert p99["n_candidate"] >= 8 and p99["n_baseline"] >= 8, p99
    assert p99["result"] == "regression", document["metrics"]
    assert p99["change"] > 0.10 and p99["p_value"] < 0.01 and p99["candidate"] > 0.02, p99
    assert (code, document["verdict"]) == (1, "regression")
