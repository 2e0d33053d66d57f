"""Show a fasthpo study in optuna-dashboard and save a headless-Chromium screenshot of it.

Runs a small study (TPE on the demo ridge-regression tuning, seed 0) into a journal file
in a temporary directory, starts ``optuna-dashboard`` on that journal on loopback, opens
the study's page in headless Chromium and saves the picture. Exits non-zero when the
page came out blank (few distinct colours).

    python tools/dashboard_screenshot.py -o docs/dashboard.png
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fasthpo  # noqa: E402
from fasthpo.cli import RidgeTuning  # noqa: E402
from report_screenshot import chromium, distinct_colours  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=10).read()
            return
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"optuna-dashboard did not answer at {url}")
            time.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default="dashboard.png", help="the screenshot (PNG)")
    parser.add_argument("--trials", type=int, default=80)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        journal = os.path.join(work, "ridge.log")
        study = fasthpo.create_study(study_name="ridge-demo", storage=journal,
                                     sampler=fasthpo.samplers.TPESampler(seed=0))
        study.optimize(RidgeTuning(0), n_trials=args.trials)
        port = free_port()
        command = os.path.join(os.path.dirname(sys.executable), "optuna-dashboard")
        server = subprocess.Popen([command, "--host", "127.0.0.1", "--port", str(port), journal],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(f"{base}/api/studies", server)
            subprocess.run(
                [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                 f"--user-data-dir={os.path.join(work, 'profile')}", "--window-size=1400,1000",
                 "--virtual-time-budget=15000", f"--screenshot={os.path.abspath(args.output)}",
                 f"{base}/dashboard/studies/0"],
                check=True, capture_output=True, timeout=180,
            )
        finally:
            server.terminate()
            server.wait(30)
    colours = distinct_colours(args.output)
    print(f"wrote {args.output}: {colours} distinct colours")
    return 0 if colours > 50 else 1


if __name__ == "__main__":
    sys.exit(main())
