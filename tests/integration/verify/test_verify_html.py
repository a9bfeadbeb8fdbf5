"""The HTML report renders in a real headless Chromium: no console errors, a drawn plot per criterion."""

from __future__ import annotations

from pathlib import Path

from verify_support import Soaks

from soakwatch.testing.chromium import Chromium
from soakwatch.verify.bundle import FILES
from soakwatch.verify.cli import main
from soakwatch.verify.criteria import ORDER

PLOTS = """Array.from(document.querySelectorAll('section')).map(s => {
  const svg = s.querySelector('svg.plot'); const box = svg.getBoundingClientRect();
  const bbox = e => { const b = e.getBBox(); return [b.x, b.y, b.x + b.width, b.y + b.height]; };
  return {id: s.id, width: box.width, height: box.height,
          lines: Array.from(svg.querySelectorAll('polyline.series')).map(p => p.getTotalLength()),
          threshold: Array.from(svg.querySelectorAll('line.threshold')).map(l => l.getBBox().width),
          label: Array.from(svg.querySelectorAll('text.threshold-label')).map(bbox),
          legend: Array.from(svg.querySelectorAll('text.legend')).map(bbox),
          yMin: +svg.dataset.yMin, dataMin: +svg.dataset.min};
})"""
SIGNED = {"memory_growth"}  # a slope: the only plotted quantity that may be negative


def overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_report_html_renders_every_plot_without_console_errors(soaks: Soaks, tmp_path: Path):
    out = tmp_path / "evidence"
    assert main(soaks.args("resources", "--out", str(out), "--tz", "Asia/Tokyo")) == 1
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    with Chromium(tmp_path / "profile") as browser:
        session = browser.open((out / "report.html").as_uri())
        plots = browser.evaluate(session, PLOTS)
        external = browser.evaluate(session, "performance.getEntriesByType('resource').length")
        errors = browser.errors()
    assert errors == []
    assert external == 0  # self-contained: nothing fetched
    assert [p["id"] for p in plots] == ["resources", *(c for c in ORDER if c != "resources")]  # failed first
    for plot in plots:
        assert plot["width"] > 300 and plot["height"] > 100, plot
        assert plot["lines"] and all(length > 50 for length in plot["lines"]), plot
        assert len(plot["threshold"]) == (0 if plot["id"] == "shutdown_order" else 1), plot
        assert all(width > 300 for width in plot["threshold"]), plot
        if plot["id"] not in SIGNED or plot["dataMin"] >= 0:
            assert plot["dataMin"] >= 0 and plot["yMin"] >= 0, plot  # non-negative series: axis from >= 0
        boxes = plot["label"] + plot["legend"]
        assert all(min(b[0], b[1]) >= 0 and b[2] <= 760 and b[3] <= 240 for b in boxes), plot  # nothing cut
        assert not any(overlap(label, legend) for label in plot["label"] for legend in plot["legend"]), plot


def test_the_browser_check_sees_console_errors(tmp_path: Path):
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>console.error('boom'); undefined_function();</script></body></html>")
    with Chromium(tmp_path / "profile") as browser:
        browser.open(page.as_uri())
        errors = browser.errors()
    assert any("boom" in e for e in errors) and any("undefined_function" in e for e in errors)
