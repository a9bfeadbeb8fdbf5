"""The live states on a real Pushgateway (job soak_verdict): one group per run, replaced every cycle."""

from __future__ import annotations

import io
import urllib.request
from pathlib import Path

from soakwatch.stack import free_port, pushgateway
from soakwatch.verify.live import AT_RISK, FAILED, PASSING, Live, Moment
from soakwatch.verify.live.loop import Cycle
from soakwatch.verify.live.push import Pusher

START = 1767225600.0


def _metrics(url: str) -> list[str]:
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as response:
        return [line for line in response.read().decode().splitlines() if line.startswith("soak_verdict_")]


def _cycle(minutes: float, *states: Live) -> Cycle:
    return Cycle(Moment(START, START + minutes * 60, START + 3600), list(states))


def test_each_cycle_replaces_the_states_of_its_run(tmp_path: Path):
    with pushgateway(tmp_path) as server:
        pusher = Pusher(server.url, run_id="r1")
        pusher.show(_cycle(5, Live("health_green", PASSING, "broker: 1 unhealthy of 7 allowed", 0.86),
                           Live("restart_recovery", PASSING, "so far downtime 0 s")))
        pusher.show(_cycle(6, Live("health_green", AT_RISK, "broker: 5 unhealthy of 7 allowed", 0.3),
                           Live("restart_recovery", FAILED, "signal: downtime 20 s (downtime <= 12 s)")))
        lines = _metrics(server.url)
    labels = 'instance="",job="soak_verdict",run_id="r1"'
    assert f'soak_verdict_state{{criterion="restart_recovery",{labels},state="failed"}} 1' in lines
    assert f'soak_verdict_state{{criterion="restart_recovery",{labels},state="passing"}} 0' in lines
    assert f'soak_verdict_state{{criterion="health_green",{labels},state="at_risk"}} 1' in lines
    assert f'soak_verdict_budget_remaining_ratio{{criterion="health_green",{labels}}} 0.3' in lines
    assert ('soak_verdict_failed_info{criterion="restart_recovery",instance="",job="soak_verdict",'
            'reason="signal: downtime 20 s (downtime <= 12 s)",run_id="r1"} 1') in lines
    assert not [line for line in lines if "soak_verdict_failed_info" in line and "health_green" in line]
    assert f"soak_verdict_last_evaluation_timestamp_seconds{{{labels}}} 1.76722596e+09" in lines


def test_an_unreachable_gateway_only_warns():
    errors = io.StringIO()
    url = f"http://user:secret@127.0.0.1:{free_port()}"
    Pusher(url, errors=errors).show(_cycle(5, Live("tick_rate", PASSING, "ok")))
    assert errors.getvalue().startswith(f"verify-soak: push to http://127.0.0.1:{url.rsplit(':', 1)[1]} failed")
    assert "secret" not in errors.getvalue()
