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
  return {id: s.id, width: box.width, height: box.height,
          lines: Array.from(svg.querySelectorAll('polyline.series')).map(p => p.getTotalLength()),
          threshold: Array.from(svg.querySelectorAll('line.threshold')).map(l => l.getBBox().width)};
})"""


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
    assert [p["id"] for p in plots] == list(ORDER)
    for plot in plots:
        assert plot["width"] > 300 and plot["height"] > 100, plot
        assert plot["lines"] and all(length > 50 for length in plot["lines"]), plot
        assert len(plot["threshold"]) == (0 if plot["id"] == "shutdown_order" else 1), plot
        assert all(width > 300 for width in plot["threshold"]), plot


def test_the_browser_check_sees_console_errors(tmp_path: Path):
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>console.error('boom'); undefined_function();</script></body></html>")
    with Chromium(tmp_path / "profile") as browser:
        browser.open(page.as_uri())
        errors = browser.errors()
    assert any("boom" in e for e in errors) and any("undefined_function" in e for e in errors)
