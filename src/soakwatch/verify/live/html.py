"""The live report.html: rewritten every cycle, reloads itself, marked LIVE with the time of the last evaluation."""

from __future__ import annotations

import os
from datetime import tzinfo
from html import escape
from pathlib import Path

from soakwatch.errors import ConfigError
from soakwatch.verify.formats import html
from soakwatch.verify.live.loop import Cycle
from soakwatch.verify.live.states import AT_RISK, FAILED, PASSING, WAITING
from soakwatch.verify.window import Window

_STYLE = (".live{background:#1f77b4;color:#fff;padding:2px 8px;border-radius:3px}"
          ".passing{color:#2ca02c;font-weight:bold}.at_risk{color:#e69500;font-weight:bold}"
          ".failed{color:#d62728;font-weight:bold}.waiting{color:#777;font-weight:bold}")
_LABELS = {PASSING: "passing", AT_RISK: "at risk", FAILED: "failed", WAITING: "waiting"}


def render(cycle: Cycle, tz: tzinfo, url: str, every: float) -> str:
    """The page of one cycle; the browser reloads it every ``every`` seconds (at least 5)."""
    m = cycle.moment
    w = Window(m.start, m.end)
    refresh = f'<meta http-equiv="refresh" content="{max(5, round(every))}">'
    intro = (f'<h1><span class="live">LIVE</span> Soak run in progress</h1>'
             f"<p>Last evaluation {escape(w.iso(m.now, tz))}; run {escape(w.iso(m.start, tz))} .. planned end "
             f"{escape(w.iso(m.end, tz))} ({m.elapsed / 60:.1f} of {m.planned / 60:.1f} min), source "
             f"<code>{escape(url)}</code>. Not a verdict: the verdict is written when the run ends.</p>")
    rows = "".join(f'<tr><td><a href="#{escape(s.criterion)}">{escape(s.criterion)}</a></td>'
                   f'<td class="{s.state}">{_LABELS[s.state]}</td><td>{escape(s.reason)}</td></tr>'
                   for s in cycle.states)
    table = f"<table><tr><th>criterion</th><th>live state</th><th>reason</th></tr>{rows}</table>"
    details = html.sections(cycle.verdict, tz) if cycle.verdict else ""
    return html.head(f"LIVE soak run: {_title(cycle)}", refresh, _STYLE) + intro + table + details + "</body></html>\n"


def _title(cycle: Cycle) -> str:
    counts = {state: sum(1 for s in cycle.states if s.state == state) for state in _LABELS}
    return ", ".join(f"{n} {_LABELS[state]}" for state, n in counts.items() if n)


class LiveReport:
    """Writes ``out/report.html`` every cycle (atomically, so a reload never shows half a page)."""

    def __init__(self, out: Path, tz: tzinfo, url: str, every: float) -> None:
        self.out, self.tz, self.url, self.every = out, tz, url, every
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError("--out", f"must be a writable directory ({exc.strerror or exc})") from None

    def show(self, cycle: Cycle) -> None:
        target = self.out / "report.html"
        partial = self.out / ".report.html.tmp"
        partial.write_text(render(cycle, self.tz, self.url, self.every))
        os.replace(partial, target)
