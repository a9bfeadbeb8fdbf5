"""The verdict as JUnit XML for CI (``--format junit`` and ``junit.xml``): one testcase per criterion."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import tzinfo

from soakwatch.verify.engine import Verdict
from soakwatch.verify.formats import values


def render(verdict: Verdict, tz: tzinfo, color: bool = False) -> str:
    failing = [r for r in verdict.results if r.fails(verdict.strict)]
    w = verdict.window
    suite = ET.Element("testsuite", name="verify-soak", tests=str(len(verdict.results)), failures=str(len(failing)),
                       errors="0", skipped="0", timestamp=w.iso(w.end, tz))
    props = ET.SubElement(suite, "properties")
    for name, value in (("window_start", w.iso(w.start, tz)), ("window_end", w.iso(w.end, tz)),
                        ("prometheus_url", verdict.url),
                        *([("scope", verdict.target.headline())] if verdict.target else [])):
        ET.SubElement(props, "property", name=name, value=value)
    for r in verdict.results:
        case = ET.SubElement(suite, "testcase", classname="verify-soak", name=r.id)
        text = f"{values.measurements(r)} (threshold {values.thresholds(r)}) {values.detail(r)}".strip()
        if r.fails(verdict.strict):
            failure = ET.SubElement(case, "failure", type=r.status, message=f"{r.id}: {r.status}: {text}")
            failure.text = "\n".join(f"{c.name}: {c.query}" for c in r.checks)
        else:
            ET.SubElement(case, "system-out").text = f"{r.status}: {text}"
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
