"""Open a fasthpo report in headless Chromium and save a screenshot of it.

Without a storage, runs the demo study (``fasthpo demo``'s ridge-regression tuning, TPE,
seed 0) into a journal file in a temporary directory first. Checks that Chromium rendered
a page that is not blank (many distinct colours) and exits non-zero otherwise.

    python tools/report_screenshot.py -o docs/report.png
    python tools/report_screenshot.py --storage study.log --study NAME -o report.png
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import fasthpo
from fasthpo.cli import RidgeTuning
from fasthpo.report import write_report


def chromium() -> str:
    """The headless browser's executable (the Debian package is ``chromium``)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("no chromium found: apt-get install -y chromium")


def screenshot(html_path: str, png_path: str, width: int = 1200, height: int = 2900) -> None:
    """Render ``html_path`` in headless Chromium at ``width`` x ``height`` into ``png_path``."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={profile}", f"--window-size={width},{height}", f"--screenshot={os.path.abspath(png_path)}",
             "file://" + os.path.abspath(html_path)],
            check=True, capture_output=True, timeout=120,
        )


def distinct_colours(png_path: str) -> int:
    """Number of distinct RGB colours of the image (a blank page has one or two)."""
    import matplotlib.image
    import numpy as np

    pixels = (matplotlib.image.imread(png_path)[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    return len(np.unique(pixels, axis=0))


def demo_study(storage: str) -> fasthpo.Study:
    study = fasthpo.create_study(study_name="ridge-demo", storage=storage,
                                 sampler=fasthpo.samplers.TPESampler(seed=0))
    study.optimize(RidgeTuning(0), n_trials=200)
    return study


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", help="a journal file or URL (default: run the demo study)")
    parser.add_argument("--study", help="the study's name in the storage")
    parser.add_argument("-o", "--output", default="report.png", help="the screenshot (PNG)")
    parser.add_argument("--html", help="also keep the report page here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        if args.storage:
            name = args.study or fasthpo.get_all_study_names(args.storage)[0]
            study = fasthpo.load_study(study_name=name, storage=args.storage)
        else:
            study = demo_study(os.path.join(work, "demo.log"))
        page = args.html or os.path.join(work, "report.html")
        write_report(study, page)
        screenshot(page, args.output)
    colours = distinct_colours(args.output)
    print(f"wrote {args.output}: {colours} distinct colours")
    return 0 if colours > 50 else 1


if __name__ == "__main__":
    sys.exit(main())
