"""The explorer as analysts load it (#28): ``make explore`` started once, its page opened N times in a row
in Chromium (a new tab each, closed after), as ``.venv/bin/python benchmarks/explore_loads.py [--loads 30]``.

For each load: seconds from the request to the widgets ready (the page's four Plotly charts drawn), or
stuck (not ready within ``--stuck-after`` seconds). The tabs are one browser's (its cache shared, as an
analyst's browser keeps plotly.js). Then, on the last page, seconds from choosing another region to every
panel that shows it redrawn: the trend, the region's indicators, the drill-down (``--changes`` times). Then the server's memory (the resident set
of make, Voilà and every kernel it started) at the start, after the loads, and after ``--idle`` seconds with
no page open. Prints one JSON line with every figure and its median and 95th percentile.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY = "document.querySelectorAll('.js-plotly-plot').length >= 4"
CHART = "document.querySelectorAll('.js-plotly-plot')"
#: a region's change is drawn: its trend, its indicators' small multiples and its drill-down
REDRAWN = (
    f"{CHART}[0].data[0].name === '{{0}}' && {CHART}[2].layout.title.text.startsWith('{{0}}')"
    " && document.body.innerText.includes('{0} · ')"
)


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _rss_mb(pid: int) -> float:
    import psutil

    root = psutil.Process(pid)
    total = 0
    for process in [root, *root.children(recursive=True)]:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            pass
    return round(total / 2**20, 1)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))] if ordered else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=30)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--stuck-after", type=float, default=60)
    parser.add_argument("--idle", type=float, default=0, help="seconds to wait with no page open, then measure")
    parser.add_argument("--make-args", nargs="*", default=[], help="extra `make explore` variables, e.g. X=1")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from kpi.publish.pdf import FLAGS, chromium

    port, token = _port(), "bench-token"
    command = ["make", "--no-print-directory", "explore", f"EXPLORE_PORT={port}", *args.make_args]
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "EXPLORE_TOKEN": token},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    figures: dict = {"loads": [], "stuck": 0, "changes": []}
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the explorer did not start") from None
                time.sleep(0.5)
        time.sleep(5)  # the first pool kernels, if any, are starting: measured as an analyst arriving later
        figures["memory_start_mb"] = _rss_mb(server.pid)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium(), args=FLAGS)
            tabs = browser.new_context(viewport={"width": 1400, "height": 1000})
            for _ in range(args.loads):
                page = tabs.new_page()
                began = time.monotonic()
                try:
                    page.goto(f"http://127.0.0.1:{port}/?token={token}", timeout=args.stuck_after * 1000)
                    page.wait_for_function(READY, timeout=args.stuck_after * 1000)
                    figures["loads"].append(round(time.monotonic() - began, 2))
                except Exception:  # noqa: BLE001 - a page that never gets ready is what is counted
                    figures["stuck"] += 1
                last = page
                if _ < args.loads - 1:
                    page.close(run_before_unload=True)  # as a tab closes: Voilà shuts its kernel down
            last.wait_for_timeout(1000)  # the analyst looks before choosing: the load's last drawing is done
            select = last.locator(".widget-select-multiple select")
            for number in range(args.changes):
                region = ["东方镇", "壶山镇"][number % 2]
                began = time.monotonic()
                select.select_option(label=region)
                last.wait_for_function(REDRAWN.format(region), timeout=60_000, polling="raf")
                figures["changes"].append(round(time.monotonic() - began, 2))
            last.close()
            browser.close()
        figures["memory_after_loads_mb"] = _rss_mb(server.pid)
        if args.idle:
            time.sleep(args.idle)
            figures["memory_after_idle_mb"] = _rss_mb(server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    for key in ("loads", "changes"):
        values = figures[key]
        figures[f"{key}_median"] = round(statistics.median(values), 2) if values else None
        figures[f"{key}_p95"] = _percentile(values, 0.95)
    figures["make_args"] = args.make_args
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
