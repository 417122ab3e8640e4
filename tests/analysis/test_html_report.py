"""The HTML report: arch parameters, stall causes, why lines, version and command line, a
sortable layer table, nothing fetched; sorted in headless Chromium when it is installed."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from accelsim import __version__
from accelsim.cli import app


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("html") / "run.html"
    res = CliRunner().invoke(app, ["simulate", "-m", "vit_tiny", "--image-size", "64", "-o",
                                   str(out), "--layers", "none"])
    assert res.exit_code == 0, res.output
    return out


def test_report_sections(report):
    html = report.read_text()
    for needle in ("<h2>Architecture parameters</h2>",
                   "<td class=l>array.rows</td><td class=l>32</td>",
                   "262,144 B (262.1 kB)", "<h2>Stall causes per block</h2>", "<b>Why:</b>",
                   "array busy", f"accelsim {__version__}", "command: <code>accelsim ",
                   "<table class=sortable>", "fused into", "<tr class=fused>"):
        assert needle in html, needle
    for fetch in ("<link", "<script src", "src='http", 'src="http', "@import", "url("):
        assert fetch not in html


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
def test_layer_table_sorts_in_headless_chromium(report, tmp_path):
    dom = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
         f"file://{report}#sort=4-desc"], capture_output=True, text=True, timeout=120).stdout
    table = dom[dom.rindex('<table class="sortable"'):]
    cycles = [int(c.replace(",", "")) for c in
              re.findall(r'<tr(?: class="fused")?><td class="l">[^<]*</td>(?:<td[^>]*>[^<]*'
                         r'</td>){3}<td>([^<]*)</td>', table)]
    assert len(cycles) > 100 and cycles == sorted(cycles, reverse=True)
