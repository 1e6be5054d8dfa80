"""How solve time grows with the size of a problem: deep networks and chains, through the
API and through the command line, side by side with sympy's own matrix diff.

Run: python benchmarks/scaling.py [--max-layers 128] [--runs 5] [--no-cli]
Prints the start-up ratios of benchmarks/startup.py, then, for L = 1, 2, 4, … layers:
  - an L-layer tanh network h_k = tanh(W_k h_{k−1}), f = h_Lᵀh_L, by x and by W_1;
  - a residual network h_k = tanh(A h_{k−1}) + h_{k−1}, by x;
  - a scalar chain a_k = a_{k−1} + sin(a_{k−1}), by x;
with seconds (API: derive and check; CLI: the whole command, text output), the printed
size in characters, and a fitted exponent of the time's growth over L ≥ 8. sympy's matrix
diff runs on the network by x where it answers (it raises on these inputs today).
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from startup import compiled, print_ratios  # this folder: run as a script


def network(layers: int, wrt: str = "x") -> str:
    lines = ["x in R^D", *(f"W{k} in R^{{D x D}}" for k in range(1, layers + 1))]
    previous = "x"
    for k in range(1, layers + 1):
        lines.append(f"h{k} = tanh(W{k} {previous})")
        previous = f"h{k}"
    return "\n".join([*lines, f"f = {previous}^T {previous}", f"find df/d{wrt}"])


def residual(layers: int) -> str:
    lines = ["x in R^D", "A in R^{D x D}", "h0 = x"]
    lines += [f"h{k} = tanh(A h{k - 1}) + h{k - 1}" for k in range(1, layers + 1)]
    return "\n".join([*lines, f"f = h{layers}^T h{layers}", "find df/dx"])


def scalar_chain(layers: int) -> str:
    lines = ["x in R", "a0 = x"]
    lines += [f"a{k} = a{k - 1} + sin(a{k - 1})" for k in range(1, layers + 1)]
    return "\n".join([*lines, f"f = a{layers}", "find df/dx"])


CASES: dict[str, Callable[[int], str]] = {
    "network by x": network,
    "network by W1": lambda layers: network(layers, "W1"),
    "residual by x": residual,
    "scalar chain": scalar_chain,
}


def api_seconds(text: str) -> float:
    import matcalc

    start = time.perf_counter()
    solution = matcalc.solve(text)
    solution.to_text()
    return time.perf_counter() - start


def cli_seconds(text: str) -> tuple[float, int]:
    with tempfile.NamedTemporaryFile("w", suffix=".mc", delete=False) as handle:
        handle.write(text)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "matcalc", "solve", handle.name, "--no-color"],
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    Path(handle.name).unlink()
    if done.returncode != 0:
        raise RuntimeError(done.stdout[-500:] + done.stderr[-500:])
    return seconds, len(done.stdout)


def sympy_seconds(layers: int) -> str:
    """sympy's own matrix calculus on the network by x, for comparison."""
    import sympy

    dim = sympy.Symbol("D", integer=True, positive=True)
    x = sympy.MatrixSymbol("x", dim, 1)
    h: sympy.Basic = x
    for k in range(1, layers + 1):
        h = (sympy.MatrixSymbol(f"W{k}", dim, dim) * h).applyfunc(sympy.tanh)
    start = time.perf_counter()
    try:
        (h.T * h).diff(x)
    except Exception as error:  # sympy cannot differentiate through applyfunc here
        return f"raises {type(error).__name__}"
    return f"{time.perf_counter() - start:.2f} s"


def exponent(points: list[tuple[int, float]]) -> float:
    """The slope of log(time) against log(L) over L ≥ 8 (1 is linear)."""
    usable = [(math.log(n), math.log(t)) for n, t in points if n >= 8 and t > 0]
    if len(usable) < 2:
        return float("nan")
    mean_x = sum(x for x, _ in usable) / len(usable)
    mean_y = sum(y for _, y in usable) / len(usable)
    return sum((x - mean_x) * (y - mean_y) for x, y in usable) / sum(
        (x - mean_x) ** 2 for x, _ in usable)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-layers", type=int, default=128)
    parser.add_argument("--no-cli", action="store_true", help="time the API only")
    parser.add_argument("--runs", type=int, default=5, help="runs of each start-up command")
    args = parser.parse_args()
    compiled()
    print("start-up (best of --runs)")
    print_ratios(args.runs)
    sizes = [2 ** k for k in range(0, int(math.log2(args.max_layers)) + 1)]
    api_seconds(network(2))  # warm: imports and the parser
    for name, make in CASES.items():
        print(f"\n{name}")
        print(f"{'L':>5} {'API s':>8} {'CLI s':>8} {'printed':>10}")
        api_points, cli_points = [], []
        for layers in sizes:
            text = make(layers)
            api = api_seconds(text)
            api_points.append((layers, api))
            if args.no_cli:
                print(f"{layers:>5} {api:8.2f}")
                continue
            cli, printed = cli_seconds(text)
            cli_points.append((layers, cli))
            print(f"{layers:>5} {api:8.2f} {cli:8.2f} {printed:>10,}")
        line = f"growth exponent over L ≥ 8: API {exponent(api_points):.2f}"
        if cli_points:
            line += f", CLI {exponent(cli_points):.2f}"
        print(line)
    print(f"\nsympy's matrix diff on the network by x, L = 4: {sympy_seconds(4)}")


if __name__ == "__main__":
    main()
