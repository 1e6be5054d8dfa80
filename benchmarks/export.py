"""Code export: how fast the NumPy code matcalc writes runs, beside NumPy written by hand and
beside JAX's own derivatives under jax.jit.

Run: python benchmarks/export.py [--runs 20] [--no-jax]
For each case it writes the module (``matcalc.export.module_source``), loads it, checks that
it returns what the hand-written NumPy returns (np.allclose, or the benchmark stops), then
prints the median seconds of one call of each:
  - logistic regression's loss, gradient and Hessian by w (N × D data), with the loss
    written as students write it, 𝟏ᵀlog(1 + exp(Xw)) − yᵀXw;
  - a quadratic form's Hessian by x (n × n);
  - the gradient of an 8-layer tanh network by x (D × D weights), against a hand backward
    pass;
  - the Gaussian log-likelihood's gradient by μ and by Σ (D × D).
JAX's column is jax.jit of jax.value_and_grad / jax.hessian of the same function written in
jax.numpy, timed after its compilation (which the column leaves out), float64.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from scaling import network  # this folder: run as a script


def emitted(text: str, library: str = "numpy") -> ModuleType:
    """The module matcalc writes for the problems in the text, imported from a file."""
    import matcalc
    from matcalc.export import module_source

    source = module_source([matcalc.solve(text, check=False)], library)
    folder = Path(tempfile.mkdtemp())
    path = folder / f"emitted_{abs(hash(text))}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seconds(call: Callable[[], Any], runs: int) -> float:
    call()  # warm up (and, for jax.jit, compile)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = call()
        if hasattr(result, "block_until_ready"):
            result.block_until_ready()
        elif isinstance(result, tuple):
            for part in result:
                if hasattr(part, "block_until_ready"):
                    part.block_until_ready()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def same(found: Any, expected: Any, what: str) -> None:
    for a, b in zip(found, expected, strict=True):
        if not np.allclose(np.asarray(a), np.asarray(b), rtol=1e-8, atol=1e-8):
            sys.exit(f"{what}: the emitted code disagrees with the hand-written NumPy")


# ---- the cases: the problem, the hand-written NumPy, the JAX function ---------------------

LOGISTIC = ("problem: logistic\nw in R^D\nX in R^{N x D}\ny in R^N\n"
            "L = 1_N^T log(1 + exp(X w)) - y^T X w\nfind dL/dw, d2L/dw2")


def logistic_by_hand(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> tuple:
    u = X @ w
    s = 1 / (1 + np.exp(-u))
    return (np.sum(np.logaddexp(0, u)) - y @ u, X.T @ (s - y),
            (X.T * (s * (1 - s))) @ X)


def logistic_jax() -> Callable[..., Any]:
    import jax
    import jax.numpy as jnp

    def loss(w: Any, X: Any, y: Any) -> Any:
        u = X @ w
        return jnp.sum(jnp.logaddexp(0, u)) - y @ u

    value_and_grad, hessian = jax.value_and_grad(loss), jax.hessian(loss)
    return jax.jit(lambda w, X, y: (*value_and_grad(w, X, y), hessian(w, X, y)))


QUADRATIC = "problem: quadratic\nx in R^n\nA in R^{n x n}\nf = x^T A x\nfind d2f/dx2"


def quadratic_by_hand(x: np.ndarray, A: np.ndarray) -> tuple:
    return x @ A @ x, A + A.T


def quadratic_jax() -> Callable[..., Any]:
    import jax

    def f(x: Any, A: Any) -> Any:
        return x @ A @ x

    hessian = jax.hessian(f)
    return jax.jit(lambda x, A: (f(x, A), hessian(x, A)))


LAYERS = 8


def network_by_hand(x: np.ndarray, *weights: np.ndarray) -> tuple:
    hs = [x]
    for W in weights:
        hs.append(np.tanh(W @ hs[-1]))
    g = 2 * hs[-1]  # ∂f/∂h_L
    for W, h in zip(reversed(weights), reversed(hs[1:]), strict=True):
        g = W.T @ (g * (1 - h**2))
    return hs[-1] @ hs[-1], g


def network_in_jax(x: Any, *weights: Any) -> Any:
    import jax.numpy as jnp

    h = x
    for W in weights:
        h = jnp.tanh(W @ h)
    return h @ h


def network_jax() -> Callable[..., Any]:
    import jax

    return jax.jit(jax.value_and_grad(network_in_jax))


def network_hessian_by_hand(x: np.ndarray, *weights: np.ndarray) -> tuple:
    """Forward Jacobians J_k = ∂h_k/∂x and second-order adjoints, one pass each way:
    H = Σ_k J_{k−1}ᵀ W_kᵀ diag(g_k ⊙ −2h_k(1 − h_k²)) W_k J_{k−1} + J_Lᵀ 2 J_L."""
    hs, jacobians = [x], [np.eye(len(x))]
    for W in weights:
        hs.append(np.tanh(W @ hs[-1]))
        jacobians.append((1 - hs[-1] ** 2)[:, None] * (W @ jacobians[-1]))
    hessian = 2 * jacobians[-1].T @ jacobians[-1]
    g = 2 * hs[-1]  # ∂f/∂h_k, going back
    for k in range(len(weights), 0, -1):
        W, h = weights[k - 1], hs[k]
        inner = W @ jacobians[k - 1]
        hessian += inner.T @ ((g * -2 * h * (1 - h**2))[:, None] * inner)
        g = W.T @ (g * (1 - h**2))
    return hs[-1] @ hs[-1], hessian


def network_hessian_jax() -> Callable[..., Any]:
    import jax

    hessian = jax.hessian(network_in_jax)
    return jax.jit(lambda x, *weights: (network_in_jax(x, *weights), hessian(x, *weights)))


GAUSSIAN = ("problem: gaussian\nx, mu in R^D\nSigma in R^{D x D}, positive definite\n"
            "L = -1/2 log det Sigma - 1/2 (x - mu)^T Sigma^{-1} (x - mu)\n"
            "find dL/dmu, dL/dSigma")


def gaussian_by_hand(x: np.ndarray, mu: np.ndarray, Sigma: np.ndarray) -> tuple:
    r = x - mu
    a = np.linalg.solve(Sigma, r)
    inverse = np.linalg.inv(Sigma)
    return (-0.5 * np.linalg.slogdet(Sigma)[1] - 0.5 * r @ a, a,
            -0.5 * inverse + 0.5 * np.outer(a, a))


def gaussian_jax() -> Callable[..., Any]:
    import jax
    import jax.numpy as jnp

    def L(x: Any, mu: Any, Sigma: Any) -> Any:
        r = x - mu
        return -0.5 * jnp.linalg.slogdet(Sigma)[1] - 0.5 * r @ jnp.linalg.solve(Sigma, r)

    value_and_grad = jax.value_and_grad(L, argnums=(1, 2))
    return jax.jit(lambda x, mu, Sigma: (lambda v, g: (v, *g))(*value_and_grad(x, mu, Sigma)))


def cases(rng: np.random.Generator) -> list[tuple[str, str, str, Callable[..., Any],
                                                  Callable[[], Callable[..., Any]], tuple]]:
    """(what, problem text, emitted function's name, by hand, JAX maker, arguments)."""
    found = []
    for n, d in ((1000, 100), (4000, 1000)):
        data = (rng.normal(size=d) * 0.1, rng.normal(size=(n, d)),
                rng.integers(0, 2, n).astype(float))
        found.append((f"logistic f, ∇f, H (N={n}, D={d})", LOGISTIC, "logistic_and_grad",
                      logistic_by_hand, logistic_jax, data))
    n = 2048
    found.append((f"xᵀAx Hessian (n={n})", QUADRATIC, "quadratic_and_grad",
                  quadratic_by_hand, quadratic_jax, (rng.normal(size=n),
                                                     rng.normal(size=(n, n)))))
    d = 256
    weights = tuple(rng.normal(size=(d, d)) / np.sqrt(d) for _ in range(LAYERS))
    text = "problem: network\n" + network(LAYERS)
    found.append((f"{LAYERS}-layer tanh net ∇ by x (D={d})", text, "network_and_grad",
                  network_by_hand, network_jax, (rng.normal(size=d), *weights)))
    d = 64
    weights = tuple(rng.normal(size=(d, d)) / np.sqrt(d) for _ in range(LAYERS))
    text = "problem: network\n" + network(LAYERS).replace("find df/dx", "find d2f/dx2")
    found.append((f"{LAYERS}-layer tanh net Hessian by x (D={d})", text, "network_and_grad",
                  network_hessian_by_hand, network_hessian_jax, (rng.normal(size=d), *weights)))
    d = 200
    root = rng.normal(size=(d, d))
    found.append((f"Gaussian ∇ by μ and Σ (D={d})", GAUSSIAN, "gaussian_and_grad",
                  gaussian_by_hand, gaussian_jax,
                  (rng.normal(size=d), rng.normal(size=d), root @ root.T + d * np.eye(d))))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-jax", action="store_true", help="leave out the JAX column")
    arguments = parser.parse_args()
    use_jax = not arguments.no_jax
    if use_jax:
        import jax

        jax.config.update("jax_enable_x64", True)
    rng = np.random.default_rng(0)
    print(f"{'case':<40} {'matcalc':>10} {'by hand':>10} {'jax.jit':>10}  (seconds)")
    for what, text, name, by_hand, jax_maker, data in cases(rng):
        function = getattr(emitted(text), name)
        same(function(*data), by_hand(*data), what)
        ours = seconds(lambda f=function, d=data: f(*d), arguments.runs)
        hand = seconds(lambda f=by_hand, d=data: f(*d), arguments.runs)
        theirs = ""
        if use_jax:
            compiled = jax_maker()
            theirs = f"{seconds(lambda f=compiled, d=data: f(*d), arguments.runs):>10.5f}"
        print(f"{what:<40} {ours:>10.5f} {hand:>10.5f} {theirs}")


if __name__ == "__main__":
    main()
