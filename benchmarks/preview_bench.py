"""Time from a draft of a position to the PNG pictures of its letter: what the web app's editor
waits for after each pause in typing.

    python benchmarks/preview_bench.py [--n 10] [--browser]

Prints, for the example letter (menneskehandel-2024, three ministers, joint mode):
- cold: the first ``Project.preview_draft`` in a new process (WeasyPrint, its fonts and the
  letter's templates loaded on the way),
- warm: the next ``--n`` calls, each with one more word typed (median and worst),
- the first call in a process that called ``warm_up(root)`` first (as the web app can, from a
  thread, at its start);
- with ``--browser``: in Chromium against the real server, the time from a key pressed in the
  statement's text to the new page picture shown (the page waits 500 ms after the last key
  before it asks, so that typing is not interrupted: that wait is included).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from workspaces import copy_example  # noqa: E402

POSITION = "menneskehandel-2024"
PICTURES = "imgs => imgs.map(i => i.src).join()"  # every page: the words typed go on the last

ONE_RUN = """
import sys, time
from lettersmith import Project
from lettersmith.app import draft
project = Project.open(sys.argv[1])
text = project.read_source("position", "{position}").text
if sys.argv[2] == "warm-up":
    draft.warm_up(project.root)
start = time.perf_counter()
shown = project.preview_draft("{position}", text + " Et ord.")
print(time.perf_counter() - start, len(shown.pages))
"""


def first_call(root: Path, mode: str) -> float:
    """Seconds of the first preview in a fresh process."""
    code = ONE_RUN.format(position=POSITION)
    out = subprocess.run(
        [sys.executable, "-c", code, str(root), mode], check=True, capture_output=True, text=True
    ).stdout.split()
    return float(out[0])


def in_browser(root: Path, n: int) -> list[float]:
    """Seconds from a key pressed to the new picture in #preview, ``n`` times."""
    import shutil

    from playwright.sync_api import sync_playwright

    from webapp import serving

    times = []
    with serving(root) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox"]
        )
        page = browser.new_page()
        page.goto(server.link)
        page.goto(f"{server.base}/positions/{POSITION}")
        page.wait_for_selector("#preview img.page", timeout=60_000)
        page.locator("#body").click()
        page.keyboard.press("Control+End")
        for word in range(n):
            before = page.eval_on_selector_all("#preview img.page", PICTURES)
            start = time.perf_counter()
            page.keyboard.type(f" o{word}")
            while page.eval_on_selector_all("#preview img.page", PICTURES) == before:
                if time.perf_counter() - start > 60:
                    raise SystemExit("the preview did not change within a minute")
                time.sleep(0.02)
            times.append(time.perf_counter() - start)
        browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--browser", action="store_true")
    arguments = parser.parse_args()
    n = arguments.n
    from lettersmith import Project

    with tempfile.TemporaryDirectory() as tmp:
        root = copy_example(Path(tmp) / "ws")
        cold = first_call(root, "cold")
        after_warm_up = first_call(root, "warm-up")
        project = Project.open(root)
        text = project.read_source("position", POSITION).text
        project.preview_draft(POSITION, text)
        times = []
        for word in range(n):
            text += f" ord{word}"
            start = time.perf_counter()
            shown = project.preview_draft(POSITION, text)
            times.append(time.perf_counter() - start)
        print(f"example letter ({len(shown.pages)} page(s), 60 dpi):")
        print(f"  cold, first call in a new process:   {cold:.2f} s")
        print(f"  first call after warm_up(root):      {after_warm_up:.2f} s")
        print(
            f"  warm, {n} calls: median {statistics.median(times):.2f} s, worst {max(times):.2f} s"
        )
        if arguments.browser:
            typed = in_browser(root, n)
            print(
                f"  in Chromium, key to new picture (500 ms pause included), {n} times: "
                f"median {statistics.median(typed):.2f} s, worst {max(typed):.2f} s"
            )


if __name__ == "__main__":
    main()
