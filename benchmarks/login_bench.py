"""How long a login takes with the real Argon2id parameters, and that an unknown name takes as
long as a wrong password (so the answer's time tells nothing about which names exist).

    python benchmarks/login_bench.py [--n 10]

Each kind of login is tried N times, interleaved (the machine may be busy with other work);
the median and the range are shown, in milliseconds. The failed-login counter is reset
between tries so that no try is refused for coming too soon.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lettersmith.app import accounts
from lettersmith.app.accounts import LoginRefused
from lettersmith.app.project import Project

PASSWORD = "korrekt hest batteri"


def timed(attempt: Callable[[], object]) -> float:
    start = time.perf_counter()
    try:
        attempt()
    except LoginRefused as refused:
        assert refused.wait == 0, "refused for coming too soon: the counter was not reset"
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10)
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as folder:
        project = Project(Path(folder))
        start = time.perf_counter()
        project.add_user("kari", "board", PASSWORD)
        print(f"add_user (one hash): {(time.perf_counter() - start) * 1000:.0f} ms")
        kinds: dict[str, Callable[[], object]] = {
            "right password": lambda: project.log_in("kari", PASSWORD, address="a"),
            "wrong password": lambda: project.log_in("kari", "feil passord", address="a"),
            "unknown name": lambda: project.log_in("ola", "feil passord", address="a"),
        }
        times: dict[str, list[float]] = {kind: [] for kind in kinds}
        for _ in range(n):
            for kind, attempt in kinds.items():
                times[kind].append(timed(attempt))
                with accounts.AccountStore(project.root / ".lettersmith").file.writing() as db:
                    db.execute("DELETE FROM failures")
        for kind, values in times.items():
            print(
                f"{kind:>15}: {statistics.median(values):6.0f} ms "
                f"[{min(values):.0f}-{max(values):.0f}]"
            )


if __name__ == "__main__":
    main()
