"""Code export: every problem's NumPy and JAX module is written, ruff-clean, imports with
numpy only, passes its own check, and computes what ``evaluate`` computes; chosen problems
against numpy functions written by hand here, and the JAX code against jax's own
derivatives."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import matcalc
from matcalc.check import random_sizes, random_values
from matcalc.errors import MatcalcError
from matcalc.export import module_source, problem_codes
from matcalc.model import Derivation, Solution
from tests.conftest import PROBLEMS, ROOT, solved_file
from tests.independent import numeric_gradient, sigmoid

WITH_CODE = [p for p in PROBLEMS if p.stem != "mml-5.9"]  # 5.9's p, q, t have no formula


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ruff(path: Path) -> None:
    """ruff with its defaults and with pyflakes, pycodestyle and bugbear at 100 columns."""
    for rules in ([], ["--select", "E,W,F,B", "--line-length", "100"]):
        found = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "-q",
                                *rules, str(path)], capture_output=True, text=True)
        assert found.returncode == 0, found.stdout + found.stderr


@pytest.fixture(scope="module")
def numpy_modules(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("numpy")
    written = {}
    for path in WITH_CODE:
        target = folder / f"{path.stem.replace('-', '_')}.py"
        target.write_text(module_source(solved_file(path), "numpy", f"problems/{path.name}"),
                          encoding="utf-8")
        written[path.stem] = target
    return written


@pytest.mark.parametrize("path", WITH_CODE, ids=lambda p: p.stem)
def test_each_module_is_ruff_clean(path: Path, numpy_modules: dict[str, Path]) -> None:
    ruff(numpy_modules[path.stem])


RUN_CHECKS = """
import importlib.util, json, sys, time
results = {}
for path in sys.argv[1:]:
    start = time.perf_counter()
    spec = importlib.util.spec_from_file_location("m", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    imported = time.perf_counter() - start
    checks = [name for name in dir(module) if name.startswith("check_")]
    failures = []
    for name in checks:
        try:
            getattr(module, name)()
        except AssertionError as error:
            failures.append(f"{name}: {error}")
    results[path] = {"checks": len(checks), "failures": failures, "import": imported}
results["modules"] = sorted(m for m in ("sympy", "matcalc", "jax") if m in sys.modules)
print(json.dumps(results))
"""


def test_every_module_imports_with_numpy_only_and_passes_its_checks(
        numpy_modules: dict[str, Path]) -> None:
    """In a fresh process, as a user runs it: numpy is all it imports, each check_<name>
    passes, and importing a module takes well under 0.15 s."""
    paths = [str(p) for p in numpy_modules.values()]
    ran = subprocess.run([sys.executable, "-c", RUN_CHECKS, *paths], capture_output=True,
                         text=True, cwd=ROOT.parent, timeout=600)
    assert ran.returncode == 0, ran.stderr
    results = json.loads(ran.stdout)
    assert results.pop("modules") == []
    for path, result in results.items():
        assert result["checks"] >= 1, path
        assert result["failures"] == [], path
        assert result["import"] < 0.15, (path, result["import"])


def values_for(solution: Solution, seed: int) -> tuple[dict[str, int], dict[str, Any]]:
    """Distinct random sizes and values respecting the declared properties, by name, in the
    numeric contract's shapes (a vector 1-D, a number a float)."""
    rng = np.random.default_rng(seed)
    problem = solution.problem
    sizes = random_sizes(problem, rng)
    drawn = random_values(problem, sizes, rng, positive=seed % 2 == 1)
    values: dict[str, Any] = {}
    for symbol, value in drawn.items():
        declaration = next((d for d in problem.declarations if d.symbol == symbol), None)
        name = declaration.name if declaration is not None else str(symbol)
        array = np.asarray(value)
        values[name] = array.ravel() if array.ndim == 2 and array.shape[1] == 1 else value
    return {str(k): v for k, v in sizes.items()}, values


@pytest.mark.parametrize("path", WITH_CODE, ids=lambda p: p.stem)
def test_lambdify_computes_what_evaluate_computes(path: Path) -> None:
    """Every derivative's code against matcalc's evaluation of the same derivative, at two
    draws of random sizes and values."""
    for solution in solved_file(path):
        for derivation in solution.derivations:
            assert_code_computes_evaluate(solution, derivation)


def assert_code_computes_evaluate(solution: Solution, derivation: Derivation,
                                  rtol: float = 1e-8, atol: float = 1e-10) -> None:
    """The derivative's code (lambdify) against its evaluation, at two random draws."""
    function = derivation.lambdify()
    for seed in (1, 2):
        dims, values = values_for(solution, seed)
        with np.errstate(all="ignore"):
            expected = derivation.evaluate(dims, values)
        if not np.all(np.isfinite(expected)):
            continue  # a log at a negative point: nothing to compare
        got = function(values)
        assert np.shape(got) == np.shape(expected), derivation
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=str(derivation))


# ---- against numpy written by hand -----------------------------------------------------


def code_of(text: str, target: int = 0, library: str = "numpy") -> Any:
    return matcalc.solve(text, check=False).derivations[target].lambdify(library)


def test_logistic_loss_over_data_by_hand() -> None:
    text = """w in R^D, y in R^N, X in R^{N x D}
u = X w
L = 1_N^T log(1 + exp(u)) - y^T X w
find dL/dw, d2L/dw2"""
    rng = np.random.default_rng(4)
    N, D = 7, 3
    X, y, w = rng.normal(size=(N, D)), rng.integers(0, 2, N).astype(float), rng.normal(size=D)

    def loss(w: Any) -> Any:
        return np.sum(np.logaddexp(0, X @ w)) - y @ X @ w

    def gradient(w: Any) -> Any:
        return X.T @ (sigmoid(X @ w) - y)

    np.testing.assert_allclose(code_of(text, 0)(w=w, y=y, X=X),
                               numeric_gradient(loss, {"w": w}, "w"), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(code_of(text, 1)(w=w, y=y, X=X),
                               numeric_gradient(gradient, {"w": w}, "w"), rtol=1e-6, atol=1e-8)


def test_the_logistic_loss_is_finite_where_the_logits_are_large() -> None:
    """|z| ≈ 10³: log(1 + eᶻ) and log σ(z) are written with logaddexp, σ without overflow."""
    text = """x, w in R^D, t in R
a = w^T x
s = sigmoid(a)
L = -t log(s) - (1 - t) log(1 - s)
find dL/dw"""
    solution = matcalc.solve(text, check=False)
    source = solution.to_numpy()
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    (function,) = [f for n, f in namespace.items() if n.endswith("_and_grad")]
    x = np.full(4, 1.0)
    for scale, t in ((250.0, 0.0), (-250.0, 1.0), (250.0, 1.0)):
        w = np.full(4, scale)  # wᵀx = ±1000
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            L, gradient = function(x=x, w=w, t=t)
        a = w @ x
        expected_L = t * np.logaddexp(0, -a) + (1 - t) * np.logaddexp(0, a)
        np.testing.assert_allclose(L, expected_L)
        np.testing.assert_allclose(gradient, (sigmoid(np.clip(a, -700, 700)) - t) * x,
                                   atol=1e-12)


def test_gaussian_by_its_covariance_by_hand() -> None:
    text = """x, mu in R^D
Sigma in R^{D x D}, positive definite
L = -1/2 (x - mu)^T Sigma^{-1} (x - mu) - 1/2 log det(Sigma)
find dL/dmu, dL/dSigma"""
    rng = np.random.default_rng(5)
    D = 4
    A = rng.normal(size=(D, D))
    values = {"x": rng.normal(size=D), "mu": rng.normal(size=D), "Sigma": A @ A.T + D * np.eye(D)}

    def L(x: Any, mu: Any, Sigma: Any) -> Any:
        return -0.5 * (x - mu) @ np.linalg.solve(Sigma, x - mu) - 0.5 * np.linalg.slogdet(Sigma)[1]

    for target, wrt in ((0, "mu"), (1, "Sigma")):
        np.testing.assert_allclose(code_of(text, target)(values),
                                   numeric_gradient(L, values, wrt), rtol=1e-6, atol=1e-8)


def test_log_det_hessian_as_a_four_way_array_by_hand() -> None:
    """∂²(log det X)/∂X_ij∂X_kl = −(X⁻¹)_li (X⁻¹)_jk, against differences of the gradient
    X⁻ᵀ written here."""
    rng = np.random.default_rng(6)
    n = 3
    X = rng.normal(size=(n, n)) + n * np.eye(n)
    got = code_of("X in R^{n x n}\nf = log det(X)\nfind d2f/dX2")(X=X)
    expected = numeric_gradient(lambda X: np.linalg.inv(X).T, {"X": X}, "X")
    assert got.shape == (n, n, n, n)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


def test_deep_tanh_network_gradient_by_hand() -> None:
    """An eight-layer network: the emitted gradient against differences of a forward pass
    written here."""
    layers = 8
    declarations = "x in R^D\n" + "".join(f"W{i} in R^{{D x D}}\n" for i in range(1, layers + 1))
    body = "h0 = x\n" + "".join(f"h{i} = tanh(W{i} h{i - 1})\n" for i in range(1, layers + 1))
    text = declarations + body + f"f = 1_D^T h{layers}\nfind df/dW1"
    rng = np.random.default_rng(7)
    D = 5
    values = {"x": rng.normal(size=D)} | {
        f"W{i}": rng.normal(size=(D, D)) / np.sqrt(D) for i in range(1, layers + 1)}

    def forward(**values: Any) -> Any:
        h = values["x"]
        for i in range(1, layers + 1):
            h = np.tanh(values[f"W{i}"] @ h)
        return np.sum(h)

    np.testing.assert_allclose(code_of(text)(values), numeric_gradient(forward, values, "W1"),
                               rtol=1e-6, atol=1e-9)


def test_a_deep_networks_hessian_is_ruff_clean_and_passes_its_check(tmp_path: Path) -> None:
    """Long products are written a few factors a line (within ruff's 100 columns)."""
    layers = 6
    text = ("x in R^D\n" + "".join(f"W{i} in R^{{D x D}}\n" for i in range(1, layers + 1))
            + "h0 = x\n" + "".join(f"h{i} = tanh(W{i} h{i - 1})\n" for i in range(1, layers + 1))
            + f"f = h{layers}^T h{layers}\nfind df/dx, d2f/dx2")
    path = tmp_path / "deep.py"
    path.write_text(matcalc.solve(text, check=False).to_numpy(), encoding="utf-8")
    ruff(path)
    module = load(path)
    (check,) = [getattr(module, n) for n in dir(module) if n.startswith("check_")]
    check()


def test_a_deep_hessian_shares_its_jacobians() -> None:
    """The Hessian of an L-layer network has a term per layer, each a product of about 2L
    matrices; their common parts are computed once, so the products grow like L, not L²."""
    def products(layers: int) -> int:
        text = ("x in R^D\n" + "".join(f"W{i} in R^{{D x D}}\n" for i in range(1, layers + 1))
                + "h0 = x\n" + "".join(f"h{i} = tanh(W{i} h{i - 1})\n"
                                       for i in range(1, layers + 1))
                + f"f = h{layers}^T h{layers}\nfind d2f/dx2")
        return matcalc.solve(text, check=False).to_numpy().split("def check_")[0].count("@")

    eight, sixteen = products(8), products(16)
    assert sixteen <= 2.2 * eight, (eight, sixteen)


def test_source_grows_linearly_with_depth() -> None:
    def lines(layers: int) -> int:
        text = ("x in R^D\n" + "".join(f"W{i} in R^{{D x D}}\n" for i in range(1, layers + 1))
                + "h0 = x\n" + "".join(f"h{i} = tanh(W{i} h{i - 1})\n"
                                       for i in range(1, layers + 1))
                + f"f = h{layers}^T h{layers}\nfind df/dW1")
        source = matcalc.solve(text, check=False).to_numpy()
        return len(source.split("def check_")[0].splitlines())

    four, eight, sixteen = lines(4), lines(8), lines(16)
    assert sixteen - eight == pytest.approx(2 * (eight - four), rel=0.25)


# ---- what the code is made of ----------------------------------------------------------


def test_solve_not_inv_slogdet_and_no_dense_diagonal() -> None:
    gaussian = matcalc.solve("""x, mu in R^D
Sigma in R^{D x D}, positive definite
L = -1/2 (x - mu)^T Sigma^{-1} (x - mu) - 1/2 log det(Sigma)
find dL/dmu""", check=False).to_numpy()
    body = gaussian.split("def check_")[0]
    assert "np.linalg.solve(Sigma" in body and "slogdet" in body
    assert "np.linalg.inv" not in body
    logistic = matcalc.solve("""w in R^D, y in R^N, X in R^{N x D}
L = 1_N^T log(1 + exp(X w)) - y^T X w
find d2L/dw2""", check=False).to_numpy()
    body = logistic.split("def check_")[0]
    assert "diagflat" not in body and "np.diag(" not in body
    assert "einsum" not in body


def test_what_is_used_twice_is_computed_once() -> None:
    """σ(Xw) in the gradient and in the Hessian's σ(1 − σ), and Σ⁻¹(x − μ) in L, ∂L/∂μ and
    both sides of ∂L/∂Σ's outer product: one line each, and no solve of a matrix."""
    logistic = matcalc.solve("""w in R^D, y in R^N, X in R^{N x D}
L = 1_N^T log(1 + exp(X w)) - y^T X w
find dL/dw, d2L/dw2""", check=False).to_numpy().split("def check_")[0]
    assert logistic.count("np.exp(-np.logaddexp(0, -") == 1, logistic
    gaussian = matcalc.solve("""x, mu in R^D
Sigma in R^{D x D}, positive definite
L = -1/2 (x - mu)^T Sigma^{-1} (x - mu) - 1/2 log det(Sigma)
find dL/dmu, dL/dSigma""", check=False).to_numpy().split("def check_")[0]
    assert gaussian.count("np.linalg.solve(") == 1, gaussian
    solved = re.search(r"(\w+) = np\.linalg\.solve\(Sigma, (\w+)\)  # D×1", gaussian)
    assert solved is not None, gaussian


def test_the_loss_over_data_is_finite_where_the_logits_are_large() -> None:
    """𝟏ᵀlog(1 + exp(Xw)) with the engine's names h = 1 + v, v = exp(u) is still softplus."""
    text = """w in R^D, y in R^N, X in R^{N x D}
L = 1_N^T log(1 + exp(X w)) - y^T X w
find dL/dw"""
    namespace: dict[str, Any] = {}
    exec(matcalc.solve(text, check=False).to_numpy(), namespace)
    (function,) = [f for n, f in namespace.items() if n.endswith("_and_grad")]
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    w, y = np.array([800.0, -900.0]), np.array([1.0, 0.0, 1.0])
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        L, gradient = function(w=w, y=y, X=X)
    np.testing.assert_allclose(L, np.sum(np.logaddexp(0, X @ w)) - y @ X @ w)
    np.testing.assert_allclose(gradient, X.T @ (sigmoid(np.clip(X @ w, -700, 700)) - y))


def test_a_derivative_that_is_zero_still_takes_its_variable() -> None:
    """f = aᵀa by x: the function takes x (its size gives the zeros' shape)."""
    function = code_of("x, a in R^D\nf = a^T a\nfind df/dx")
    np.testing.assert_array_equal(function(x=np.ones(3), a=np.ones(3)), np.zeros(3))


def test_names_that_clash_become_identifiers_and_titles_stay_text() -> None:
    """Python's keywords and builtins, the module's own np, Greek letters and W^{(1)} become
    identifiers the docstring lists; a title with quotes, backslashes and a control
    character stays inside the docstring."""
    text = '''problem: a """ title \\ with 'quotes' and a \x07 bell
lambda, sum, np, μ in R^D
W^{(1)} in R^{D x D}
f = lambda^T W^{(1)} sum + np^T μ
find df/dW^{(1)}, df/dlambda'''
    solution = matcalc.solve(text, check=False)
    source = solution.to_numpy()
    compile(source, "<test>", "exec")
    (code,) = problem_codes([solution])
    names = {d.name: code.names.of(d.name) for d in code.arguments}
    assert all(name.isidentifier() for name in names.values())
    assert len(set(names.values())) == len(names)
    assert names["lambda"] != "lambda" and names["sum"] != "sum" and names["np"] != "np"
    assert '"""' not in source.split('"""')[1]  # the title did not close the docstring
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    for name, value in namespace.items():
        if name.startswith("check_"):
            value()
    rng = np.random.default_rng(8)
    values = {"lambda": rng.normal(size=3), "sum": rng.normal(size=3), "np": rng.normal(size=3),
              "mu": rng.normal(size=3), "W^(1)": rng.normal(size=(3, 3))}  # names as declared
    derivation = solution.derivations[0]
    np.testing.assert_allclose(derivation.lambdify()(values),
                               np.outer(values["lambda"], values["sum"]))


def test_abstract_functions_are_refused_by_name() -> None:
    (solution,) = solved_file(ROOT / "problems" / "mml-5.9.mc")
    with pytest.raises(MatcalcError, match="p, q, t are abstract functions"):
        solution.to_numpy()


def test_the_command_line_writes_a_module_and_notes_what_it_leaves_out(tmp_path: Path) -> None:
    target = tmp_path / "code.py"
    ran = subprocess.run([sys.executable, "-m", "matcalc", "solve", "--no-check",
                          str(ROOT / "problems" / "mml-5.9.mc"),
                          str(ROOT / "problems" / "least-squares.mc"),
                          "--format", "numpy", "-o", str(target)],
                         capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    assert "no code for 'MML exercise 5.9': p, q, t are abstract functions" in ran.stderr
    module = load(target)
    for name in dir(module):
        if name.startswith("check_"):
            getattr(module, name)()
    refused = subprocess.run([sys.executable, "-m", "matcalc", "solve", "--no-check",
                              str(ROOT / "problems" / "mml-5.9.mc"), "--format", "jax"],
                             capture_output=True, text=True)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "mml-5.9.mc: error: no code to write" in refused.stderr


def test_a_check_raises_naming_the_derivative_that_is_wrong(tmp_path: Path) -> None:
    source = matcalc.solve("x in R^D\nA in R^{D x D}\nf = x^T A x\nfind df/dx",
                           check=False).to_numpy()
    broken = source.replace("A + A.T", "2 * A")  # the gradient for a symmetric A only
    assert broken != source
    path = tmp_path / "broken.py"
    path.write_text(broken, encoding="utf-8")
    module = load(path)
    (check,) = [getattr(module, n) for n in dir(module) if n.startswith("check_")]
    with pytest.raises(AssertionError, match="∂f/∂x disagrees with central differences"):
        check()


# ---- JAX -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", WITH_CODE, ids=lambda p: p.stem)
def test_jax_code_agrees_with_jax_derivatives_and_the_numpy_code(path: Path) -> None:
    """Each derivative the JAX module returns against jax.jacobian of the value it returns
    (twice for a second derivative: entry (i, j) is ∂²f/∂x_i∂y_j), and against the NumPy
    module, in float64, called as it is and under jax.jit."""
    jax = pytest.importorskip("jax")
    solutions = solved_file(path)
    spaces = {}
    for library in ("numpy", "jax"):
        spaces[library] = {}
        exec(module_source(solutions, library), spaces[library])
    with jax.enable_x64(True):
        for solution, code in zip(solutions, problem_codes(solutions), strict=True):
            function = spaces["jax"][f"{code.name}_and_grad"]
            reference = spaces["numpy"][f"{code.name}_and_grad"]
            _, values = values_for(solution, 1)
            arguments = {code.names.of(name): value for name, value in values.items()}
            arguments = {k: v for k, v in arguments.items()
                         if k in function.__code__.co_varnames[:function.__code__.co_argcount]}
            found = function(**arguments)
            found = found if isinstance(found, tuple) else (found,)
            expected = reference(**arguments)
            expected = expected if isinstance(expected, tuple) else (expected,)
            compiled = jax.jit(function)(**arguments)  # the code traces: jit compiles it
            compiled = compiled if isinstance(compiled, tuple) else (compiled,)
            for got, jitted, want in zip(found, compiled, expected, strict=True):
                np.testing.assert_allclose(np.asarray(got), want, rtol=1e-9, atol=1e-12)
                np.testing.assert_allclose(np.asarray(jitted), want, rtol=1e-9, atol=1e-12)
            for position, output in enumerate(code.outputs):
                derivation = output.derivation
                if derivation is None or derivation.taylor is not None:
                    continue
                target = derivation.target
                first = code.names.of(target.wrt)
                second = code.names.of(target.wrt2 or target.wrt)

                def value(**moved: Any) -> Any:
                    return function(**{**arguments, **moved})[output.of_position]  # noqa: B023

                def by_first(point: Any) -> Any:
                    return value(**{first: point})  # noqa: B023

                if target.order == 1:
                    autodiff = jax.jacobian(by_first)(jnp_float(arguments[first]))
                elif first == second:
                    autodiff = jax.jacobian(jax.jacobian(by_first))(jnp_float(arguments[first]))
                else:
                    def inner(other: Any) -> Any:
                        def moved(point: Any) -> Any:
                            return value(**{first: point, second: other})  # noqa: B023
                        return jax.jacobian(moved)(jnp_float(arguments[first]))  # noqa: B023
                    autodiff = jax.jacobian(inner)(jnp_float(arguments[second]))
                np.testing.assert_allclose(np.asarray(found[position]), np.asarray(autodiff),
                                           rtol=1e-7, atol=1e-9, err_msg=output.says)


def jnp_float(value: Any) -> Any:
    import jax.numpy as jnp

    return jnp.asarray(value, dtype=jnp.float64)
