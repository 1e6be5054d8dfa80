"""Second derivatives (engine/second.py): each against central differences of a numpy
function written here by hand (never matcalc's own reading of the problem), at two distinct
sizes; the numeric contract's shapes; the readings of the targets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given

import matcalc
from tests.engine.test_properties import FAST
from tests.independent import numeric_hessian, sigmoid


def spd(rng: np.random.Generator, n: int) -> np.ndarray:
    m = rng.normal(size=(n, n))
    return m @ m.T + n * np.eye(n)


def lse(z: np.ndarray) -> float:
    return float(np.log(np.sum(np.exp(z))))


# (problem, numpy function of the variables, sizes for one draw → shapes, targets)
CASES: dict[str, tuple[str, Callable[..., Any]]] = {
    "x^T A x": ("x in R^D; A in R^{D x D}; f = x^T A x; find d2f/dx2",
                lambda x, A: x @ A @ x),
    "least squares": ("x, b in R^D; A in R^{D x D}; f = ||A x - b||^2; find d2f/dx2",
                      lambda x, b, A: np.sum((A @ x - b) ** 2)),
    "ridge": ("w in R^D; X in R^{N x D}; y in R^N; lambda in R; "
              "L = ||y - X w||^2 + lambda ||w||^2; find d2L/dw2",
              lambda w, X, y, lambda_: np.sum((y - X @ w) ** 2) + lambda_ * w @ w),
    "logistic": ("w in R^D; X in R^{N x D}; y in R^N; L = 1_N^T softplus(X w) - y^T X w; "
                 "find d2L/dw2",
                 lambda w, X, y: np.sum(np.log1p(np.exp(X @ w))) - y @ X @ w),
    "log-sum-exp": ("z in R^K; f = lse(z); find d2f/dz2", lambda z: lse(z)),
    "cross-entropy by logits": ("z, y in R^K; L = lse(z) - y^T z; find d2L/dz2",
                                lambda z, y: lse(z) - y @ z),
    "Gaussian by mu": ("x, mu in R^D; S in R^{D x D}, positive definite; "
                       "L = -1/2 (x - mu)^T S^{-1} (x - mu); find d2L/dmu2",
                       lambda x, mu, S: -0.5 * (x - mu) @ np.linalg.solve(S, x - mu)),
    "tr(X^T A X)": ("X in R^{m x n}; A in R^{m x m}; f = tr(X^T A X); find d2f/dX2",
                    lambda X, A: np.trace(X.T @ A @ X)),
    "log det X": ("X in R^{n x n}; f = log det X; find d2f/dX2",
                  lambda X: np.log(np.linalg.det(X))),
    "mixed": ("x in R^D; y in R^E; A in R^{D x E}; f = x^T A y + (x^T x)(y^T y); "
              "find d2f/dxdy", lambda x, y, A: x @ A @ y + (x @ x) * (y @ y)),
    "tanh network": ("x in R^D; W1, W2 in R^{D x D}; h1 = tanh(W1 x); h2 = tanh(W2 h1); "
                     "f = h2^T h2; find d2f/dx2",
                     lambda x, W1, W2: np.sum(np.tanh(W2 @ np.tanh(W1 @ x)) ** 2)),
    "MML 5.15 by x and y": ("x, y in R; f = x^2 + 2 x y + y^3; find d2f/dxdy",
                            lambda x, y: x**2 + 2 * x * y + y**3),
    "MML 5.15 by y": ("x, y in R; f = x^2 + 2 x y + y^3; find d2f/dy2",
                      lambda x, y: x**2 + 2 * x * y + y**3),
}


def draw(problem: matcalc.Solution, sizes: dict[str, int], rng: np.random.Generator
         ) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for declaration in problem.problem.declarations:
        dims = tuple(int(sizes.get(str(d), d)) for d in declaration.shape.dims)
        if declaration.shape.is_scalar:
            values[declaration.name] = float(rng.normal())
        elif "positive definite" in {p.value for p in declaration.properties}:
            values[declaration.name] = spd(rng, dims[0])
        elif dims[1] == 1:
            values[declaration.name] = rng.normal(size=dims[0]) * 0.5
        elif dims[0] == dims[1]:
            values[declaration.name] = rng.normal(size=dims) * 0.3 + 2 * np.eye(dims[0])
        else:
            values[declaration.name] = rng.normal(size=dims) * 0.5
    return values


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("size", (2, 3))
def test_second_derivative_against_numpy_written_by_hand(name: str, size: int) -> None:
    text, function = CASES[name]
    solution = matcalc.solve(text.replace("; ", "\n"))
    derivation = solution.derivations[0]
    assert derivation.checked is not None and derivation.checked.passed, derivation.checked
    target = derivation.target
    assert target.order == 2 and derivation.gradient is not None
    names = {d.name for d in solution.problem.declarations}
    sizes = {"D": size + 1, "E": size + 2, "N": size + 3, "K": size + 2, "m": size,
             "n": size + 1}
    values = draw(solution, sizes, np.random.default_rng(size))
    got = derivation.evaluate({k: v for k, v in sizes.items()}, values)
    arguments = {("lambda_" if n == "lambda" else n): v for n, v in values.items()
                 if n in names}
    expected = numeric_hessian(lambda **v: function(**v), arguments,
                               target.wrt.replace("lambda", "lambda_"),
                               (target.wrt2 or target.wrt).replace("lambda", "lambda_"))
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("written", [
    "d2f/dx2", "d^2 f/dx^2", "d^2f / d x^2", r"\frac{\partial^2 f}{\partial x^2}",
    r"\frac{\partial^2 f}{\partial \mathbf{x}^2}", r"\frac{d^2 f}{d x^2}",
    r"\frac{\mathrm{d}^2 f}{\mathrm{d} x^2}", "d²f/dx²", "hessian f wrt x", "hessian f", "H_x f",
    r"\nabla^2_x f", r"\nabla^2 f", r"\nabla_{\mathbf{x}}^2 f"])
def test_spellings_of_a_hessian_read_alike(written: str) -> None:
    derivation = matcalc.solve(f"x in R^D\nf = (x^T x)^2\nfind {written}",
                               check=False).derivations[0]
    assert (derivation.target.of, derivation.target.wrt, derivation.target.wrt2) == (
        "f", "x", "x")
    assert [str(d) for d in derivation.shape.dims] == ["D", "D"]


@pytest.mark.parametrize("written", [
    "d2f/dxdy", "d^2 f/dx dy", r"\frac{\partial^2 f}{\partial x \partial y}", "∂²f/∂x∂y"])
def test_spellings_of_a_mixed_derivative_read_alike(written: str) -> None:
    derivation = matcalc.solve(f"x in R^D\ny in R^E\nf = (x^T x)(y^T y)\nfind {written}",
                               check=False).derivations[0]
    assert (derivation.target.wrt, derivation.target.wrt2) == ("x", "y")
    assert [str(d) for d in derivation.shape.dims] == ["D", "E"]  # x's axis first


@pytest.mark.parametrize("text, message", [
    ("X in R^{D x D}; F = X X; find d2F/dX2", "a tensor with five or six indices"),
    ("x in R^D; W in R^{E x D}; f = tanh(W x); find d2f/dW2", "five or six indices"),
    ("x in R^D; f = x^T x; find d2f/dx", "a second derivative needs two variables"),
    ("x in R^D; f = x^T x; find d2f/dz2", "unknown name 'z'"),
    ("x in R^D; f = x^T x; find d2g/dx2", "'g' is not defined"),
    ("x in R^D; z = x^T x; f = z^2; find d2f/dz2", "taken by declared variables"),
    ("x in R^D; p differentiable; f = p(x); find d2f/dx2", "second partial derivatives"),
])
def test_second_derivatives_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(matcalc.MatcalcError, match=message):
        matcalc.solve(text.replace("; ", "\n"))


# ---- random expressions, each with a numpy function built beside its text ---------------

Pair = tuple[str, Callable[[dict[str, Any]], Any]]
FUNCTIONS = {"sin": np.sin, "tanh": np.tanh, "sigmoid": sigmoid, "cos": np.cos}


def vectors(depth: int) -> st.SearchStrategy[Pair]:
    leaves = st.sampled_from([("x", lambda v: v["x"]), ("a", lambda v: v["a"]),
                              ("(x - a)", lambda v: v["x"] - v["a"])])
    if depth == 0:
        return leaves
    inner = vectors(depth - 1)
    return st.one_of(
        leaves,
        inner.map(lambda p: (f"B ({p[0]})", lambda v, f=p[1]: v["B"] @ f(v))),
        st.tuples(inner, inner).map(lambda p: (f"({p[0][0]} + {p[1][0]})",
                                               lambda v, f=p[0][1], g=p[1][1]: f(v) + g(v))),
        st.tuples(st.sampled_from(sorted(FUNCTIONS)), inner).map(
            lambda p: (f"{p[0]}({p[1][0]})",
                       lambda v, h=FUNCTIONS[p[0]], f=p[1][1]: h(f(v)))),
        st.tuples(inner, inner).map(lambda p: (f"({p[0][0]}) .* ({p[1][0]})",
                                               lambda v, f=p[0][1], g=p[1][1]: f(v) * g(v))),
    )


def scalars(depth: int) -> st.SearchStrategy[Pair]:
    leaves = st.sampled_from([("x^T a", lambda v: v["x"] @ v["a"]),
                              ("x^T x", lambda v: v["x"] @ v["x"]),
                              ("x^T B x", lambda v: v["x"] @ v["B"] @ v["x"])])
    if depth == 0:
        return leaves
    vector = vectors(depth - 1)
    inner = scalars(depth - 1)
    return st.one_of(
        leaves,
        st.tuples(vector, vector).map(lambda p: (f"({p[0][0]})^T ({p[1][0]})",
                                                 lambda v, f=p[0][1], g=p[1][1]: f(v) @ g(v))),
        vector.map(lambda p: (f"||{p[0]}||^2", lambda v, f=p[1]: np.sum(f(v) ** 2))),
        st.tuples(st.sampled_from(sorted(FUNCTIONS)), inner).map(
            lambda p: (f"{p[0]}({p[1][0]})",
                       lambda v, h=FUNCTIONS[p[0]], f=p[1][1]: h(f(v)))),
        st.tuples(inner, inner).map(lambda p: (f"({p[0][0]}) ({p[1][0]})",
                                               lambda v, f=p[0][1], g=p[1][1]: f(v) * g(v))),
        inner.map(lambda p: (f"log(1 + ({p[0]})^2)",
                             lambda v, f=p[1]: np.log(1 + f(v) ** 2))),
        vector.map(lambda p: (f"lse({p[0]})", lambda v, f=p[1]: lse(f(v)))),
    )


@FAST
@given(scalars(2))
def test_random_hessians_match_numpy_written_beside_them(pair: Pair) -> None:
    text, function = pair
    problem = f"x, a in R^D\nB in R^{{D x D}}\nf = {text}\nfind d2f/dx2"
    derivation = matcalc.solve(problem, check=False).derivations[0]
    rng = np.random.default_rng(len(text))
    values = {"x": rng.normal(size=3) * 0.5, "a": rng.normal(size=3) * 0.5,
              "B": rng.normal(size=(3, 3)) * 0.5}
    got = derivation.evaluate({"D": 3}, values)
    expected = numeric_hessian(lambda **v: function(v), values, "x")
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4, err_msg=text)


@pytest.mark.parametrize("text, said", [
    ("x in R^D; b in R^N; A in R^{N x D}; f = ||A x - b||^2", "positive semidefinite"),
    ("w in R^D; X in R^{N x D}; y in R^N; L = 1_N^T log(1 + exp(X w)) - y^T X w",
     "positive semidefinite"),
    ("z in R^K; f = lse(z)", "positive semidefinite"),
    ("x, mu in R^D; S in R^{D x D}, positive definite; L = -1/2 (x - mu)^T S^{-1} (x - mu)",
     "negative definite"),
    ("x in R^D; A in R^{D x D}; f = x^T A x", None),  # A + Aᵀ: indefinite in general
    ("w in R^D; X in R^{N x D}; y in R^N; lambda in R; "
     "L = ||y - X w||^2 + lambda ||w||^2", None),  # λ of either sign
    ("x in R^D; f = sin(x^T x)", None),
])
def test_definiteness_is_stated_only_where_it_follows(text: str, said: str | None) -> None:
    problem = text.replace("; ", "\n")
    of = problem.split("\n")[-1].split("=")[0].strip()
    variable = {"L": "w", "f": "x"}[of] if "lse" not in text else "z"
    if "mu" in text:
        variable = "mu"
    derivation = matcalc.solve(f"{problem}\nfind d2{of}/d{variable}2",
                               check=False).derivations[0]
    remarks = [" ".join(p for p in r if isinstance(p, str)) for r in derivation.remarks]
    stated = [r for r in remarks if "definite" in r]
    if said is None:
        assert not stated, stated
    else:
        assert len(stated) == 1 and said in stated[0], remarks


def test_an_8_layer_network_s_hessian_against_numpy() -> None:
    """A gradient too long to write out is differentiated in the intermediates it is kept in
    (h_k = tanh(W_k h_{k−1}), f = h_8ᵀh_8): the Hessian by x against numpy by hand."""
    layers, size = 8, 3
    lines = ["x in R^D", *(f"W{k} in R^{{D x D}}" for k in range(1, layers + 1))]
    lines += [f"h{k} = tanh(W{k} {'x' if k == 1 else f'h{k - 1}'})" for k in range(1, 9)]
    lines += [f"f = h{layers}^T h{layers}", "find d2f/dx2"]
    derivation = matcalc.solve("\n".join(lines)).derivations[0]
    assert derivation.checked is not None and derivation.checked.passed
    rng = np.random.default_rng(8)
    values: dict[str, Any] = {"x": rng.normal(size=size)}
    values |= {f"W{k}": rng.normal(size=(size, size)) * 0.8 for k in range(1, layers + 1)}

    def f(**v: Any) -> float:
        h = v["x"]
        for k in range(1, layers + 1):
            h = np.tanh(v[f"W{k}"] @ h)
        return float(h @ h)

    got = derivation.evaluate({"D": size}, values)
    np.testing.assert_allclose(got, numeric_hessian(f, values, "x"), rtol=1e-4, atol=1e-5)


def test_the_second_derivative_of_a_kink_is_zero_away_from_it() -> None:
    """|t|″ and ‖x‖₁'s Hessian are 0 wherever they exist (sympy would write a Dirac delta,
    which has no values to check with)."""
    for text in ("x in R\nf = abs(x)\nfind d2f/dx2", "x in R^D\nf = ||x||_1\nfind d2f/dx2"):
        derivation = matcalc.solve(text).derivations[0]
        assert derivation.checked is not None and derivation.checked.passed
        assert "DiracDelta" not in str(derivation.result)


def test_mml_example_5_15_at_the_point_1_2() -> None:
    """f(x, y) = x² + 2xy + y³ at (1, 2): the Hessian [[2, 2], [2, 12]] (MML (5.160))."""
    solution = matcalc.solve("x, y in R\nf = x^2 + 2 x y + y^3\n"
                             "find d2f/dx2, d2f/dxdy, d2f/dy2")
    at = {"x": 1.0, "y": 2.0}
    entries = [float(d.evaluate({}, at)) for d in solution.derivations]
    assert entries == [2.0, 2.0, 12.0]


def test_mml_example_5_15_as_one_vector_is_written_entry_by_entry() -> None:
    """x ∈ ℝ² with entries x_1, x_2: the results are sums of e_i e_jᵀ, which are also
    written out as the book's matrices, D¹ = [2x₁ + 2x₂, 2x₁ + 3x₂²] and
    H = [[2, 2], [2, 6x₂]]; at (1, 2) those are [6, 14] and [[2, 2], [2, 12]]."""
    import sympy

    solution = matcalc.solve("x in R^2\nf = x_1^2 + 2 x_1 x_2 + x_2^3\nfind df/dx, d2f/dx2")
    point = np.array([1.0, 2.0])
    gradient, hessian = solution.derivations
    np.testing.assert_allclose(gradient.evaluate({"x": point}).ravel(), [6, 14])
    np.testing.assert_allclose(hessian.evaluate({"x": point}), [[2, 2], [2, 12]])
    said = solution.to_text(width=200)
    assert "Entry by entry: [[2 x_1 + 2 x_2, 2 x_1 + 3 x_2²]]." in said
    assert "Entry by entry: [[2, 2], [2, 6 x_2]]." in said
    written = [m.expr for d in solution.derivations for r in d.remarks for m in r
               if hasattr(m, "expr") and isinstance(m.expr, sympy.ImmutableMatrix)]
    at = {sympy.Symbol("x_1"): 1, sympy.Symbol("x_2"): 2}
    assert [np.array(m.subs(at), dtype=float).tolist() for m in written] == [
        [[6.0, 14.0]], [[2.0, 2.0], [2.0, 12.0]]]
    assert "\\left[\\begin{matrix}2 & 2\\\\2 & 6 x_{2}\\end{matrix}\\right]" in \
        solution.to_latex()


# ---- vector-valued f: the E×D×D tensor, a Hessian per component -------------------------
VECTOR_VALUED = {
    "f = tanh(A x); find d2f/dx2": lambda x, y, A: np.tanh(A @ x),
    "f = (A x) ⊙ (A y); find d2f/dxdy": lambda x, y, A: (A @ x) * (A @ y),
    "f = softmax(x); find d2f/dx2": lambda x, y, A: np.exp(x) / np.sum(np.exp(x)),
    "f = A x; find d2f/dx2": lambda x, y, A: A @ x,
    "f = exp(x^T y) A x; find d2f/dxdy": lambda x, y, A: np.exp(x @ y) * (A @ x),
}


@pytest.mark.parametrize("written", VECTOR_VALUED)
def test_second_derivative_of_a_vector_valued_f_against_numpy(written: str) -> None:
    text = "x, y in R^D\nA in R^{D x D}\n" + written.replace("; ", "\n")
    derivation = matcalc.solve(text).derivations[0]
    assert derivation.checked is not None and derivation.checked.passed
    rng = np.random.default_rng(7)
    values = {"x": rng.normal(size=3) * 0.5, "y": rng.normal(size=3) * 0.5,
              "A": rng.normal(size=(3, 3))}
    got = derivation.evaluate(values)
    expected = numeric_hessian(VECTOR_VALUED[written], values, derivation.target.wrt,
                               derivation.target.wrt2)
    assert got.shape == expected.shape == (3, 3, 3)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_a_vector_valued_hessian_names_the_jacobian_and_its_entries() -> None:
    said = matcalc.solve("x in R^D\nA in R^{E x D}\nf = tanh(A x)\nfind d2f/dx2"
                         ).to_text(width=200)
    assert "First the Jacobian" in said and "J = df/dx = diag(1 − tanh(Ax)²) A ∈ ℝ^{E×D}" in said
    assert "∂J_ij/∂x_k = " in said and "A_ij A_ik (tensor in ℝ^{E×D×D})" in said
    assert "Entry (i, j, k) of the result is ∂²f_i/∂x_j∂x_k" in said


def test_a_product_hessian_gives_the_size_of_each_factor() -> None:
    said = matcalc.solve("w in R^D; X in R^{N x D}; y in R^N\n"
                         "L = 1_N^T log(1 + exp(X w)) - y^T X w\nfind d2L/dw2".replace("; ", "\n")
                         ).to_text(width=200)
    assert ("The sizes of its factors: Xᵀ ∈ ℝ^{D×N}, diag((1 − σ(Xw)) ⊙ σ(Xw)) ∈ ℝ^{N×N}, "
            "X ∈ ℝ^{N×D}, so the product is in ℝ^{D×D}.") in said
    assert "sizes of its factors" not in matcalc.solve(
        "x in R^D\nA in R^{D x D}\nf = x^T A x\nfind d2f/dx2").to_text()  # A + Aᵀ: a sum
