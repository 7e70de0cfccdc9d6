"""lettersmith build against the loop a user would write by hand, N letters, one per recipient.

    python benchmarks/build_bench.py [--n 200 1000] [--jobs CORES]
    python benchmarks/build_bench.py --memory [--n 100 1000 10000]
    python benchmarks/build_bench.py --their-reference 10 ...   (every 10th with a "Deres ref.")

For each N, in one invocation and on one generated workspace (the example letter, N
recipients): the naive loop (per recipient a Jinja2 HTML string through WeasyPrint's
``HTML(string=...).write_pdf()`` and a python-docx ``Document`` built paragraph by paragraph,
in one process) and ``lettersmith build`` (PDF/A-3b tagged + DOCX) as a subprocess, then
``lettersmith build`` again with nothing changed, each of these three times (the median is
shown, and the range in brackets: the machine may be busy with other work). Each runs in its
own process. Peak memory
is shown as "all/largest": for lettersmith, the largest sum of the memory (PSS: shared pages
counted once) of it and its workers, and the largest single process, sampled every 50 ms in
runs of their own (sampling takes CPU, so the times come from runs without it); for the naive
loop, one process, its peak resident size. ``--memory`` runs only ``lettersmith build`` (the
naive loop at 10,000 letters takes hours).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from workspaces import many_recipients  # noqa: E402

LETTER = "menneskehandel-2024"
REPEAT = 3  # lettersmith builds per measure: the median counts
LETTERSMITH = [sys.executable, "-m", "lettersmith"]
# The lettersmith of this checkout: the runs start in the generated workspace, where a
# relative PYTHONPATH (``PYTHONPATH=src``) would find nothing and an installed copy be measured.
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(
        [
            str(REPO / "src"),
            *(
                str(Path(p).resolve())
                for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                if p
            ),
        ]
    ),
}

# ------------------------------------------------------------------ the loop written by hand

NAIVE_TEMPLATE = """<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8"><style>
@page { size: A4; margin: 25mm 20mm 22mm 25mm; }
body { font-family: "DejaVu Serif", serif; font-size: 10.5pt; line-height: 1.4; }
.head { font-family: "DejaVu Sans", sans-serif; text-align: right; font-size: 8pt; }
.address { font-family: "DejaVu Sans", sans-serif; font-size: 9pt; height: 45mm; width: 85mm; }
h1 { font-family: "DejaVu Sans", sans-serif; font-size: 13pt; }
</style></head><body>
<div class="head"><b>{{ org }}</b><br>{{ org_address | join("<br>") }}</div>
<div class="address">{% for line in address %}{{ line }}<br>{% endfor %}</div>
<p style="text-align: right">{{ place }}, {{ date }}</p>
<h1>{{ title }}</h1>
{% for paragraph in body %}<p>{{ paragraph }}</p>
{% endfor %}
<p>Med vennlig hilsen</p>
<p>{{ signatory }}<br>{{ signatory_title }}<br>{{ org }}</p>
<p style="font-size: 8pt">{{ about }}</p>
</body></html>"""


def naive_loop(root: Path) -> int:
    """What a secretary's programmer friend writes in an afternoon: plain, one process."""
    import docx
    import jinja2
    import yaml
    from weasyprint import HTML

    config = yaml.safe_load((root / "lettersmith.yaml").read_text(encoding="utf-8"))
    recipients = yaml.safe_load((root / "recipients.yaml").read_text(encoding="utf-8"))
    text = (root / "positions" / f"{LETTER}.md").read_text(encoding="utf-8")
    _, front, body = text.split("---", 2)
    title = yaml.safe_load(front)["title"]
    paragraphs = [" ".join(p.split()) for p in body.strip().split("\n\n")]
    template = jinja2.Environment(autoescape=True).from_string(NAIVE_TEMPLATE)
    org = config["organisation"]
    signatory = config["signatories"]["president"]
    out = root / "naive"
    out.mkdir()
    for key, recipient in recipients.items():
        address = [recipient["title"], recipient["name"]]
        values = {
            "org": org["name"],
            "org_address": org["address"],
            "address": address,
            "place": config["place"],
            "date": "10.12.2024",
            "title": title,
            "body": paragraphs,
            "signatory": signatory["name"],
            "signatory_title": signatory["title"],
            "about": org["about"],
        }
        HTML(string=template.render(values)).write_pdf(out / f"{key}.pdf")
        document = docx.Document()
        document.add_paragraph(org["name"])
        for line in address:
            document.add_paragraph(line)
        document.add_paragraph(f"{config['place']}, 10.12.2024")
        document.add_heading(title, level=1)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
        document.add_paragraph("Med vennlig hilsen")
        document.add_paragraph(signatory["name"])
        document.add_paragraph(signatory["title"])
        document.add_paragraph(org["about"])
        document.save(out / f"{key}.docx")
    return len(recipients)


# ------------------------------------------------------------------ measuring


def _tree_rss_kb(pid: int) -> tuple[int, int]:
    """Memory of ``pid`` and its descendants in kB (PSS): their sum and the largest one's
    (Linux /proc; 0 elsewhere)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, largest, todo = 0, 0, [pid]
    while todo:
        current = todo.pop()
        size = _pss_kb(current)
        total += size
        largest = max(largest, size)
        todo.extend(children.get(current, ()))
    return total, largest


def _pss_kb(pid: int) -> int:
    """The process's proportional set size: its own pages, plus its share of those it shares
    with others (a forked worker shares its parent's), so that a sum counts each page once."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def timed(command: list[str], cwd: Path, *, sample: bool = False) -> tuple[float, str, str]:
    """Run ``command``; its wall time in seconds, the CPU seconds of it and its worker
    processes (which do not depend on how busy the machine is), and its output; with
    ``sample``, also its peak memory (all its processes together / the largest one) in MB.

    Sampling reads /proc every 50 ms, which takes CPU from a two-core machine: the times
    the benchmark reports come from runs without it.
    """
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    peak = largest = 0
    stop = threading.Event()

    def sampling() -> None:
        nonlocal peak, largest
        while not stop.wait(0.05):
            total, one = _tree_rss_kb(process.pid)
            peak, largest = max(peak, total), max(largest, one)

    sampler = threading.Thread(target=sampling, daemon=True)
    if sample:
        sampler.start()
    output, _ = process.communicate()
    seconds = time.perf_counter() - start
    stop.set()
    if sample:
        sampler.join()
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{output[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime
    memory = f"{peak // 1024}/{largest // 1024} MB, " if sample else ""
    return seconds, f"{memory}cpu {cpu:.1f} s", output


def build_command(jobs: int, *extra: str) -> list[str]:
    return [*LETTERSMITH, "build", LETTER, "--format", "pdf,docx", "--jobs", str(jobs), *extra]


def count_files(folder: Path, suffix: str) -> int:
    return sum(1 for _ in folder.glob(f"*.{suffix}"))


def compare(n: int, jobs: int, every: int = 0) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = many_recipients(Path(folder), n, every)
        naive = [sys.executable, __file__, "--naive", str(root)]
        naive_s, naive_cpu, naive_out = timed(naive, root)
        assert count_files(root / "naive", "pdf") == n and count_files(root / "naive", "docx") == n
        # The builds take seconds on a machine others may be using: each is run REPEAT times
        # (from scratch, then with nothing changed) and the median shown, with the range.
        fast = []
        for _ in range(REPEAT):
            shutil.rmtree(root / "out", ignore_errors=True)
            seconds, _cpu, output = timed(build_command(jobs), root)
            built = root / "out" / LETTER
            assert count_files(built, "pdf") == n and count_files(built, "docx") == n, output
            fast.append(seconds)
        again = [timed(build_command(jobs), root)[0] for _ in range(REPEAT)]
        fast_s, again_s = statistics.median(fast), statistics.median(again)
        # Memory, in runs of their own: the same build from scratch, and the rebuild.
        shutil.rmtree(root / "out")
        _, fast_mb, _ = timed(build_command(jobs), root, sample=True)
        _, again_mb, _ = timed(build_command(jobs), root, sample=True)
    naive_mb = naive_out.strip().splitlines()[-1]
    print(
        f"N={n:>6}  naive loop {naive_s:7.1f} s {naive_s / n * 1000:6.1f} ms/letter"
        f" ({naive_mb}, {naive_cpu}) | lettersmith build {fast_s:6.2f} s {_range(fast)}"
        f" {fast_s / n * 1000:6.1f} ms/letter ({fast_mb}) | ratio {naive_s / fast_s:5.1f}x"
        f" | rebuild, nothing changed {again_s:5.2f} s {_range(again)} ({again_mb})",
        flush=True,
    )
    print(f"          last line of build: {output.strip().splitlines()[-1]}", flush=True)


def _range(times: list[float]) -> str:
    return f"[{min(times):.2f}-{max(times):.2f}]"


def memory(n: int, jobs: int, every: int = 0) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = many_recipients(Path(folder), n, every)
        seconds, peak_mb, output = timed(build_command(jobs), root, sample=True)
        lines = len(output.strip().splitlines())
    print(
        f"N={n:>6}  lettersmith build {seconds:7.1f} s {seconds / n * 1000:6.1f} ms/letter"
        f"  peak memory {peak_mb} ({lines} lines of output)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", help="letter counts (default 200 1000)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="build workers")
    parser.add_argument("--memory", action="store_true", help="peak memory of build only")
    parser.add_argument(
        "--their-reference",
        type=int,
        default=0,
        metavar="EVERY",
        help='every EVERY-th recipient has a "Deres ref." (their letters are laid out one by one)',
    )
    parser.add_argument("--naive", metavar="WORKSPACE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.naive:
        naive_loop(Path(args.naive))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
        print(f"{peak // 1024}/{peak // 1024} MB")
        return
    counts = args.n or ([100, 1000, 10000] if args.memory else [200, 1000])
    print(
        f"{os.cpu_count()} cores, build --jobs {args.jobs}; python {sys.version.split()[0]};"
        f" lettersmith from {REPO / 'src'}"
    )
    for n in counts:
        (memory if args.memory else compare)(n, args.jobs, args.their_reference)


if __name__ == "__main__":
    main()
