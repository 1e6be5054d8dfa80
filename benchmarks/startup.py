"""Start-up and solve time of the command line, measured against ``import sympy``.

Run: python benchmarks/startup.py [--runs N]
Prints the best wall time of N runs for each command and the ratio to ``import sympy``.
The start-up budget is about 1.5 × import sympy for `matcalc --version`-like paths and
for ``import matcalc``; a full solve also pays for lark, rich, numpy and the derivation.
"""

from __future__ import annotations

import argparse
import compileall
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "problems" / "mml-5.8a.mc"

COMMANDS = {
    "import sympy": [sys.executable, "-c", "import sympy"],
    "import matcalc": [sys.executable, "-c", "import matcalc"],
    # the libraries a checked text solve loads, without matcalc: the floor of that ratio
    "import sympy numpy lark rich": [sys.executable, "-c", "import sympy, numpy, lark, "
                                     "rich.console, rich.table, rich.panel"],
    "matcalc --version": [sys.executable, "-m", "matcalc", "--version"],
    "solve --no-check (json)": [sys.executable, "-m", "matcalc", "solve", str(EXAMPLE),
                                "--no-check", "--format", "json"],
    "solve (text, checked)": [sys.executable, "-m", "matcalc", "solve", str(EXAMPLE)],
    "solve all problems": [sys.executable, "-m", "matcalc", "solve",
                           *map(str, sorted((ROOT / "problems").glob("*.mc"))),
                           "--format", "json"],
}


def best_of(command: list[str], runs: int) -> float:
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)  # warm the file cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return min(times)


def compiled() -> None:
    """Byte-compile matcalc first, as an installed package is: with PYTHONDONTWRITEBYTECODE
    set (or an unwritable checkout) every run would otherwise compile matcalc's modules
    again (about 50 ms), which sympy, installed compiled, never pays."""
    compileall.compile_dir(str(ROOT / "matcalc"), quiet=1)


def print_ratios(runs: int) -> None:
    """Each command's best time of ``runs`` and its ratio to ``import sympy``."""
    baseline = None
    for name, command in COMMANDS.items():
        seconds = best_of(command, runs)
        baseline = baseline or seconds
        print(f"{name:28s} {seconds:6.3f} s   {seconds / baseline:4.2f} × import sympy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    compiled()
    print_ratios(args.runs)


if __name__ == "__main__":
    main()
