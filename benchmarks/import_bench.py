"""Import N spreadsheet rows into the example's recipients.yaml; print rows per second.

    python benchmarks/import_bench.py [--n 5000]

Times reading and checking every row (`recipients import --dry-run`'s work) and then the
round-trip write that keeps the file's comments, for a Windows-1252 CSV and for an XLSX file.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from lettersmith.load import spreadsheet  # noqa: E402
from workspaces import copy_example  # noqa: E402

HEADER = ["Navn", "Tittel", "E-post", "Adresse", "Postnummer", "Poststed", "Tagger"]


def rows(n: int) -> list[list[str]]:
    return [
        [f"Person Ødegård {i}", "Ordfører", f"post{i}@kommune{i}.example.no", "Postboks 1",
         "0030", "Oslo", "kommuner"]
        for i in range(n)
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=5000)
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path = folder / "liste.csv"
        lines = [";".join(row) for row in [HEADER, *rows(n)]]
        csv_path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
        xlsx_path = folder / "liste.xlsx"
        book = openpyxl.Workbook()
        for row in [HEADER, *rows(n)]:
            book.active.append(row)
        book.save(xlsx_path)
        for path in (csv_path, xlsx_path):
            root = copy_example(folder / f"ws-{path.suffix[1:]}")
            start = time.perf_counter()
            plan = spreadsheet.plan_import(root, path)
            checked = time.perf_counter()
            spreadsheet.write_import(root, plan)
            written = time.perf_counter()
            print(
                f"{path.suffix}: {n} rows checked in {checked - start:.2f} s "
                f"({n / (checked - start):.0f} rows/s), written in {written - checked:.2f} s"
            )


if __name__ == "__main__":
    main()
