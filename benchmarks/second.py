"""Second derivatives: how long a Hessian takes, derived, checked and rendered as text in
process, and how the time grows with the depth of a network.

Run: python benchmarks/second.py [--max-layers 32] [--runs 3]
Prints the logistic loss's Hessian (N, D symbolic) and an L-layer tanh network's Hessian by
x (h_k = tanh(W_k h_{k−1}), f = h_Lᵀh_L) for L = 1, 2, 4, …, each the median of the runs
with sympy's cache cleared before each (a repeated problem would otherwise be remembered),
and the fitted exponent of the growth over L ≥ 8 (1 is linear).
"""

from __future__ import annotations

import argparse
import statistics

from scaling import api_seconds, exponent, network  # this folder: run as a script
from startup import compiled

LOGISTIC = ("w in R^D\nX in R^{N x D}\ny in R^N\n"
            "L = 1_N^T log(1 + exp(X w)) - y^T X w\nfind d2L/dw2")


def median_seconds(text: str, runs: int) -> float:
    from sympy.core.cache import clear_cache

    times = []
    for _ in range(runs):
        clear_cache()
        times.append(api_seconds(text))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-layers", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    compiled()
    api_seconds("x in R^D\nf = x^T x\nfind d2f/dx2")  # the parser and sympy warmed up
    print(f"logistic loss, Hessian by w: {median_seconds(LOGISTIC, args.runs):.2f} s")
    print("tanh network, Hessian by x\n    L    API s")
    points = []
    layers = 1
    while layers <= args.max_layers:
        text = network(layers).replace("find df/dx", "find d2f/dx2")
        seconds = median_seconds(text, args.runs)
        points.append((layers, seconds))
        print(f"{layers:5d} {seconds:8.2f}")
        layers *= 2
    print(f"growth exponent over L ≥ 8: {exponent(points):.2f}")


if __name__ == "__main__":
    main()
