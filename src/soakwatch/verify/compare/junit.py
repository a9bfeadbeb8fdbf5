"""The comparison as JUnit XML for CI: one testcase per metric and process; regressions and gaps fail."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import tzinfo

from soakwatch.verify.compare import cells
from soakwatch.verify.compare.comparison import Comparison
from soakwatch.verify.compare.judge import INSUFFICIENT, REGRESSION


def render(c: Comparison, tz: tzinfo, color: bool = False) -> str:
    failing = [j for j in c.judgements if j.status in (REGRESSION, INSUFFICIENT)]
    suite = ET.Element("testsuite", name="verify-soak compare", tests=str(len(c.judgements)),
                       failures=str(len(failing)), errors="0", skipped="0")
    props = ET.SubElement(suite, "properties")
    for name, value in (("verdict", c.verdict), ("score", f"{c.score:.1f}"), ("alpha", f"{c.settings.alpha:g}")):
        ET.SubElement(props, "property", name=name, value=value)
    for j in c.judgements:
        case = ET.SubElement(suite, "testcase", classname="verify-soak compare", name=j.label)
        _, _, _, base, cand, change, p, effect, tolerance = cells.row(j)
        text = (f"{j.status}: baseline {base}, candidate {cand}, change {change}, p {p}, effect {effect}, "
                f"tolerance {tolerance}" + (f"; {j.note}" if j.note else ""))
        if j in failing:
            ET.SubElement(case, "failure", type=j.status, message=f"{j.label}: {text}").text = j.metric.query
        else:
            ET.SubElement(case, "system-out").text = text
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
