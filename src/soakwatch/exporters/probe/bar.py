"""The probe runbook's pass bar, judged on the run summary: rate, parse gaps, connectivity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_MIN_RATE = 5000.0
DEFAULT_MAX_PARSE_GAP_RATIO = 0.001


@dataclass(frozen=True)
class PassBar:
    """>= ``min_rate`` msgs/s, parse gaps < ``max_parse_gap_ratio`` of messages, connected throughout."""

    min_rate: float = DEFAULT_MIN_RATE
    max_parse_gap_ratio: float = DEFAULT_MAX_PARSE_GAP_RATIO

    def judge(self, summary: dict[str, Any]) -> dict[str, Any]:
        """``{"pass": bool, "items": [{"item", "rule", "measured", "pass"}]}`` for a summary's ``as_dict()``."""
        held = summary["connected"] and summary["reconnects"] == 0 and summary["dropped"] == 0
        items = [
            _item("rate", f">= {self.min_rate:,.0f} msgs/s", summary["mps_window"],
                  summary["mps_window"] >= self.min_rate),
            _item("parse_gaps", f"< {self.max_parse_gap_ratio:.2%} of messages", summary["parse_gap_ratio"],
                  summary["parse_gap_ratio"] < self.max_parse_gap_ratio),
            _item("connectivity", "connected throughout (0 reconnects, 0 dropped, connected at the end)",
                  {"reconnects": summary["reconnects"], "dropped": summary["dropped"],
                   "connected": summary["connected"]}, held),
        ]
        return {"pass": all(i["pass"] for i in items), "items": items}


def _item(name: str, rule: str, measured: Any, ok: bool) -> dict[str, Any]:
    return {"item": name, "rule": rule, "measured": measured, "pass": bool(ok)}


def describe(bar: dict[str, Any]) -> str:
    """One line: ``pass bar: PASS (rate 5,912 msgs/s >= 5,000 msgs/s ok; ...)``."""
    parts = []
    for item in bar["items"]:
        measured = item["measured"]
        shown = (f"{measured:,.1f} msgs/s" if item["item"] == "rate" else f"{measured:.3%}"
                 if item["item"] == "parse_gaps" else f"{measured['reconnects']} reconnects, "
                 f"{measured['dropped']} dropped")
        parts.append(f"{item['item']} {shown} {item['rule']}: {'ok' if item['pass'] else 'FAIL'}")
    return f"pass bar: {'PASS' if bar['pass'] else 'FAIL'} (" + "; ".join(parts) + ")"
