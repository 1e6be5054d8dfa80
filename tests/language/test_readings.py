"""What is written is what is derived: spellings that were once read as a different problem,
each checked against an independent numpy function (tests/independent.py), at two sizes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import matcalc
from matcalc.errors import MatcalcError
from tests.independent import assert_derivative, draw, sigmoid

SIZES = (3, 5)

SCALAR_CASES = {
    # a power after a function's bracket is outside the function
    r"\sin(x)^2": lambda x: np.sin(x) ** 2,
    r"\log(1+x^2)^2": lambda x: np.log(1 + x**2) ** 2,
    r"\exp(x)^{-1}": lambda x: np.exp(x) ** -1,
    r"\sin^2 x": lambda x: np.sin(x) ** 2,
    r"\cos^{3} x": lambda x: np.cos(x) ** 3,
    "sin(x)^2": lambda x: np.sin(x) ** 2,
    # a function word takes the whole product after it
    r"\sin 2x": lambda x: np.sin(2 * x),
    r"\cos 2\theta x": lambda x, theta: np.cos(2 * theta * x),
    r"\sin(x) \cos(x)": lambda x: np.sin(x) * np.cos(x),
    r"2 \sin x": lambda x: 2 * np.sin(x),
    r"\exp(x) x": lambda x: np.exp(x) * x,
    r"\sqrt{x^2 + 1}^3": lambda x: np.sqrt(x**2 + 1) ** 3,
    r"\log \left( 1 + x^2 \right)": lambda x: np.log(1 + x**2),
    r"\log \left[ 1 + x^2 \right]^2": lambda x: np.log(1 + x**2) ** 2,
    # \sqrt[n]{…} is the n-th root (it was read as √n times the radicand)
    r"\sqrt[3]{x}": lambda x: np.cbrt(x),
    r"\sqrt[3]{x^2 + 1} x": lambda x: np.cbrt(x**2 + 1) * x,
    r"\sqrt{x} \sqrt[4]{x}": lambda x: x**0.75,
    r"\sqrt[2]{x}": lambda x: np.sqrt(x),
    r"x \sqrt[3]1": lambda x: x,  # the root of the number 1, never a ones vector
    "x 1 + theta 1": lambda x, theta: x + theta,  # after a number, 1 is the number
    # ** is a power, as Python writes it (it was a syntax error)
    "(x^2 + 1)**2": lambda x: (x**2 + 1) ** 2,
    "x**3 theta": lambda x, theta: x**3 * theta,
    "x**-1 + x**(1/2)": lambda x: 1 / x + np.sqrt(x),
}


@pytest.mark.parametrize("written", SCALAR_CASES)
def test_scalar_spellings(written: str) -> None:
    function = SCALAR_CASES[written]
    names = function.__code__.co_varnames[: function.__code__.co_argcount]
    values = draw(np.random.default_rng(1), **{n: () for n in names})
    values = {n: abs(v) + 0.5 for n, v in values.items()}
    text = f"x, theta in R\nf = {written}\nfind df/dx"
    assert_derivative(text, function, {}, values)


MATRIX_CASES = {
    r"\mathrm{tr}(AXB)": lambda X, A, B: np.trace(A @ X @ B),
    r"\operatorname{tr}(A X B)": lambda X, A, B: np.trace(A @ X @ B),
    r"\operatorname{tr}(AXB)": lambda X, A, B: np.trace(A @ X @ B),
    "tr(AXB)": lambda X, A, B: np.trace(A @ X @ B),
    r"\operatorname{tr} X^\top X": lambda X: np.trace(X.T @ X),
    r"\operatorname{tr}(X)^2": lambda X: np.trace(X) ** 2,
    r"\operatorname{tr}(A)^{-1} \operatorname{tr}(X)": lambda X, A: np.trace(X) / np.trace(A),
    r"\log\det A X": lambda X, A: np.log(abs(np.linalg.det(A @ X))),
    r"\det AX": lambda X, A: np.linalg.det(A @ X),
    r"\log\det(X)": lambda X: np.log(abs(np.linalg.det(X))),
    "log det X": lambda X: np.log(abs(np.linalg.det(X))),
    r"\operatorname{tr}(X^\mathsf{T} A)": lambda X, A: np.trace(X.T @ A),
    r"\mathbf{1}^\mathrm{T} X^\top A \mathbf{1}": lambda X, A: np.sum(X.T @ A),
    # a 1 after a row or a matrix is the ones vector, as 1ᵀ before one is the ones row
    # (1ᵀX1 was read as the row 1ᵀX times the number 1)
    "1^T X 1": lambda X: np.sum(X),
    "1^T (X A) 1": lambda X, A: np.sum(X @ A),
    "tr(X) 1/2": lambda X: np.trace(X) / 2,
    "1^T X^T 1 + 1": lambda X: np.sum(X) + 1,
    # entries of a matrix, X_{kl} = e_kᵀXe_l (an error before: "only a vector has entries")
    "X_{11} X_{22} - X_{12} X_{21}": lambda X: X[0, 0] * X[1, 1] - X[0, 1] * X[1, 0],
    "(A X)_{12} + X_23": lambda X, A: (A @ X)[0, 1] + X[1, 2],
    r"\mathbf{1}^{\top} \mathbf{X}^{\top} 1 + \mathbf{X}_{12}": lambda X: np.sum(X) + X[0, 1],
}


@pytest.mark.parametrize("written", MATRIX_CASES)
@pytest.mark.parametrize("size", SIZES)
def test_matrix_spellings(written: str, size: int) -> None:
    function = MATRIX_CASES[written]
    names = function.__code__.co_varnames[: function.__code__.co_argcount]
    rng = np.random.default_rng(size)
    values = {n: rng.normal(size=(size, size)) + size * np.eye(size) for n in names}
    text = f"X, A, B in R^{{D x D}}\nf = {written}\nfind df/dX"
    assert_derivative(text, function, {"D": size}, values)


CALLS = {
    # a defined function called with other arguments takes them
    "h(x) = x^T x; f = h(y); find df/dy": lambda y, w, x: y @ y,
    "s(t) = 1/(1+exp(-t)); f = s(w^T x); find df/dw": lambda y, w, x: sigmoid(w @ x),
    "s(t) = t^2 + t; f = s(w^T x) + s(y^T x); find df/dx":
        lambda y, w, x: (w @ x) ** 2 + w @ x + (y @ x) ** 2 + y @ x,
    "g(u, v) = u^T v; f = g(w, x) + g(x, x); find df/dx": lambda y, w, x: w @ x + x @ x,
    "h(x) = x^T x; f = h(x) + h(w); find df/dw": lambda y, w, x: x @ x + w @ w,
    "s(t) = sin(t); r(t) = s(2 t); f = r(w^T x); find df/dw":
        lambda y, w, x: np.sin(2 * (w @ x)),
}


@pytest.mark.parametrize("text", CALLS)
@pytest.mark.parametrize("size", SIZES)
def test_calls_take_their_arguments(text: str, size: int) -> None:
    values = draw(np.random.default_rng(size), y=(size,), w=(size,), x=(size,))
    assert_derivative("x, y, w in R^D\n" + text.replace("; ", "\n"), CALLS[text],
                      {"D": size}, values)


@pytest.mark.parametrize("text, message", [
    ("x in R^D; s(t) = t^2; f = s(x, x)", "s takes 1 argument (t), not 2"),
    ("x in R^D; z = x^T x; f = z(x)", "z is defined without arguments"),
    ("x in R^D; s(t) = t^2; find ds/dt", "s is a function of t, which is not declared"),
    ("x in R^D; s(t) = t^2", "only functions are defined (s)"),
    (r"x in R; f = \sin^{-1} x", "sin^{-1} or sin^T is not read as a power"),
    (r"x in R; f = 2 \sin", "sin needs an argument"),
    (r"x in R; f = \sin x \cos x", "it is not clear where the argument of sin ends"),
    ("x in R; f = sin x cos(x)", "it is not clear where the argument of sin ends"),
    ("x in R^D; f = |x|^2", "|x| of a vector could be its norm"),
    # a sum that is not over data (tests/language/test_sums.py) is refused, never read as
    # an abstract function sum_n(…)
    ("x, w, y in R^D; f = sum_n (y_n - w^T x_n)^2", "w^T is not a number or a column"),
    (r"x in R^D; f = \sum_{n=2}^{N} x_n", "\\sum_{…} is a sum over an index"),
    (r"x in R^D; f = \sum x^T x", "\\sum needs the index it sums over"),  # read as xᵀx
    ("x in R^D; f = max_i (x_i)", "max_i is a maximum over an index"),
    # an undefined constant is an error where it is written (it was f = zoo, df/dx = 0)
    ("x in R^D; f = x^T x + log(0); find df/dx", "log(0) is undefined"),
    ("x in R^D; f = x^T x + 1/0; find df/dx", "1/0 is undefined"),
    ("x in R^D; f = log(x^T x - x^T x); find df/dx", "log(x^T x - x^T x) is undefined"),
    ("x in R^D; f = prod_i x_i", "prod_i is a product over an index"),
    ("x in R^D; W in R^{D x D}; f = x^T W^{(2)} x", "W^(2) is read as a name with a label"),
    ("x in R^D; f = ||x||_p", "the norm ‖x‖_p is not supported"),
    (r"x in R^D; f = \|x\|_\infty", "the maximum norm ‖x‖_∞ is not supported"),
    ("X in R^{D x D}; f = ||X||_2", "the spectral norm ‖·‖_2 of a matrix is not supported"),
    ("x in R^{D x}; f = x^T x", "this size is incomplete"),
    ("x in R^D; f = 2^T x; find df/dx", "the number 2 has no transpose"),
    (r"x in R^D; A in R^{D x D}; f = \langle x, A \rangle; find df/dx",
     "an inner product needs two things of one shape"),
    ("x in R^D; f = (3)' x; find df/dx", "the number 3 has no transpose"),
    ("x in R^D; f = x^T x; find df/dx^T", "is how denominator layout writes it"),
    ("x in R^D; f = x^T x; find \\frac{\\partial f}{\\partial x^\\top}",
     "is how denominator layout writes it"),
])
def test_refusals_name_the_construct(text: str, message: str) -> None:
    import matcalc

    with pytest.raises(MatcalcError) as caught:
        matcalc.solve(text, check=False)
    assert message in str(caught.value)
    assert caught.value.span is not None


@pytest.mark.parametrize("text", [
    "x, a in R^D; A in R^{D x D}; f = x^T (A + a a^T) x; find df/da",
    "x in R^D; f = x^T x; find df/dx",
    "x in R^D; B in R^{D x D}; f = tr(B x x^T); find df/dx",
])
def test_scalar_by_vector_is_a_row_in_numerator_layout(text: str) -> None:
    import matcalc

    derivation = matcalc.solve(text, check=False).derivations[0]
    assert derivation.shape.rows == 1
    assert derivation.shape.cols == derivation.wrt_symbol.shape[0]
    denominator = matcalc.solve(text, check=False, layout="denominator").derivations[0]
    assert denominator.shape.cols == 1


# ---- notation users write, each against an independent numpy function ------------------

NOTATION = {
    # MATLAB's .^ is a power of each entry (an error before)
    "x in R^D; f = sum(x.^2); find df/dx": lambda x: x @ x,
    "x in R^D; A in R^{D x D}; f = 1^T (A x).^3; find df/dx": lambda x, A: np.sum((A @ x) ** 3),
    # ⟨x, y⟩ is the inner product (MML chapter 3); \{ \} are brackets
    r"x, y in R^D; f = \langle x, y \rangle^2; find df/dx": lambda x, y: (x @ y) ** 2,
    "x in R^D; A in R^{D x D}; f = ⟨x, A x⟩; find df/dx": lambda x, A: x @ A @ x,
    r"x in R^D; f = \exp\{-x^T x\}; find df/dx": lambda x: np.exp(-x @ x),
    # a number minus a vector, each entry (printed 1 − x, it was 1 + (−x))
    "x in R^D; f = x^T (1 - x); find df/dx": lambda x: x @ (1 - x),
    "x in R^D; f = 1^T log(2 - x); find df/dx": lambda x: np.sum(np.log(2 - x)),
    # 1ᵀ is the row of ones, as 𝟏ᵀ (it was read as the number 1: f = x, a vector)
    "x in R^D; f = 1^T x; find df/dx": lambda x: np.sum(x),
    r"x in R^D; f = 1^\top \exp(x); find df/dx": lambda x: np.sum(np.exp(x)),
    "x in R^D; f = (1)' log(1 + exp(x)); find df/dx": lambda x: np.sum(np.log1p(np.exp(x))),
    "x in R; f = e^{2x}; find df/dx": lambda x: np.exp(2 * x),
    r"x in R^D; f = \|x\|^2_2; find df/dx": lambda x: x @ x,
    "x in R^D; f = ‖x‖²; find df/dx": lambda x: x @ x,
    "x in R^D; f = x^⊤ x − 1; find df/dx": lambda x: x @ x - 1,
    r"x in R; \ell = x^2; find d\ell/dx": lambda x: x**2,
    r"x in R; f = \cosh(x) + \sinh(x) + \pi x; find df/dx":
        lambda x: np.cosh(x) + np.sinh(x) + np.pi * x,
    r"x in R; f = \frac12 x^2; find df/dx": lambda x: x**2 / 2,
    r"x in R; f = 2 \times x; find df/dx": lambda x: 2 * x,
    r"w, x in R^D; f = w \cdot x; find df/dw": lambda w, x: w @ x,
    "x in R^D; f = x^T x.": lambda x: x @ x,
    r"x in R^D; f = x^T x; find \nabla_{\mathbf{x}} f": lambda x: x @ x,
    r"x in R^D; f = (2\pi)^{-D/2} exp(-1/2 x^T x); find df/dx":
        lambda x: (2 * np.pi) ** (-len(x) / 2) * np.exp(-x @ x / 2),
    "x in R^D; f = 1/D x^T x; find df/dx": lambda x: x @ x / len(x),
    "x in R^D; f = ||x||_1; find df/dx": lambda x: np.sum(np.abs(x)),
    r"x in R^D; f = \mathbf{1}_D^\top \exp(x); find df/dx": lambda x: np.sum(np.exp(x)),
    "x in R^D; f = 1_D^T log(1 + exp(x)); find df/dx": lambda x: np.sum(np.log1p(np.exp(x))),
    "x in R^D; f = sum(1/(1 + exp(-x))); find df/dx": lambda x: np.sum(sigmoid(x)),
    "x in R^D; f = sum(x^2); find df/dx": lambda x: np.sum(x**2),
    "x in R^D; delta in R; f = 1_D^T (x .* x + delta 1_D); find df/dx":
        lambda x, delta: np.sum(x * x + delta),
    "x, a in R^D; f = (x^T a)/(1 + x^T x); find df/dx": lambda x, a: (x @ a) / (1 + x @ x),
    "X in R^{D x D}; f = log |X|; find df/dX": lambda X: np.log(abs(np.linalg.det(X))),
    "X in R^{D x D}; f = ||X||_F^2; find df/dX": lambda X: np.sum(X * X),
    "A in R^{m,n}; x in R^n; f = ||A x||^2; find df/dx": lambda A, x: (A @ x) @ (A @ x),
    "A in R^(m x n); x in R^n; f = ||A x||^2; find df/dx": lambda A, x: (A @ x) @ (A @ x),
    "X, A in R^{D x D}; f = tr(AX^T); find df/dX": lambda X, A: np.trace(A @ X.T),
    "x in R^D; delta in R; f = sum(log(x .* x + delta)); find df/dx":
        lambda x, delta: np.sum(np.log(x * x + delta)),
    "x in R^D; delta in R; f = sum(log(x .* x + delta)); find df/ddelta":
        lambda x, delta: np.sum(np.log(x * x + delta)),
    r"x in R^D; f = \mathbf{1}^\top \exp(x) - 𝟏ᵀx; find df/dx":
        lambda x: np.sum(np.exp(x)) - np.sum(x),
    r"x in R^D; A in R^{D x D}; f = x^T A \boldsymbol{1}; find df/dx":
        lambda x, A: x @ A @ np.ones(4),
    "x in R^D; f = 1 - sigmoid(x)^T x; find df/dx": lambda x: 1 - sigmoid(x) @ x,
    "x in R^D; f = sum(1 - sigmoid(x)); find df/dx": lambda x: np.sum(1 - sigmoid(x)),
    # σ(·) with no σ declared is the sigmoid; a declared σ is a number
    r"x in R^D; A in R^{D x D}; f = 1_D^T \sigma(A x); find df/dx":
        lambda x, A: np.sum(sigmoid(A @ x)),
    "x in R^D; A in R^{D x D}; f = 1_D^T sigma(A x); find df/dx":
        lambda x, A: np.sum(sigmoid(A @ x)),
    # \sigma(…) after ⊙ or a minus takes its bracket, as \sin(…) does (it was "unknown name")
    r"x in R^D; f = 1_D^T (x \odot \sigma(x)); find df/dx": lambda x: x @ sigmoid(x),
    r"x in R^D; f = -\sigma(x)^T x; find df/dx": lambda x: -sigmoid(x) @ x,
    r"x in R^D; delta in R; f = \delta^2 x^T x; find df/dx": lambda x, delta: delta**2 * x @ x,
    # a label in brackets is part of the name
    r"x in R^D; \hat{x} = 2 x; f = \hat{x}^T x; find df/dx": lambda x: 2 * x @ x,
}


def test_labels_in_brackets_are_names() -> None:
    text = "x in R^D\nA^{(1)}, A^{(2)} in R^{D x D}\nf = x^T A^{(2)} A^{(1)} x\nfind df/dx"
    rng = np.random.default_rng(2)
    values = {"x": rng.normal(size=3), "A^(1)": rng.normal(size=(3, 3)),
              "A^(2)": rng.normal(size=(3, 3))}
    assert_derivative(text, lambda **v: v["x"] @ v["A^(2)"] @ v["A^(1)"] @ v["x"], {"D": 3},
                      values)


@pytest.mark.parametrize("written", ["W_1 x + b_1", "W_{1} x + b_{1}", "{W_{1}} x + {b_{1}}",
                                     "W1 x + b1"])
def test_numbered_names_as_textbooks_write_them(written: str) -> None:
    """W_1 is the name W1 when W is not a name (the LaTeX output prints W1 as {W_{1}})."""
    text = f"x, b1 in R^D\nW1 in R^{{D x D}}\nf = ({written})^T x\nfind df/dx"
    rng = np.random.default_rng(3)
    values = {"x": rng.normal(size=3), "b1": rng.normal(size=3), "W1": rng.normal(size=(3, 3))}
    assert_derivative(text, lambda **v: (v["W1"] @ v["x"] + v["b1"]) @ v["x"], {"D": 3},
                      values)


def test_a_subscript_on_a_declared_vector_stays_an_entry() -> None:
    text = "x, w, w1 in R^D\nf = w_1 x^T x\nfind df/dx"
    rng = np.random.default_rng(4)
    values = {"x": rng.normal(size=3), "w": rng.normal(size=3), "w1": rng.normal(size=3)}
    assert_derivative(text, lambda **v: v["w"][0] * v["x"] @ v["x"], {"D": 3}, values)


@pytest.mark.parametrize("text", NOTATION)
def test_notation(text: str) -> None:
    function = NOTATION[text]
    names = function.__code__.co_varnames[: function.__code__.co_argcount]
    rng = np.random.default_rng(5)
    sizes = {"D": 4, "m": 3, "n": 5}
    shapes = {"x": (4,), "y": (4,), "w": (4,), "a": (4,), "delta": (), "X": (4, 4),
              "A": (4, 4)}
    if "R^{m,n}" in text or "R^(m x n)" in text:
        shapes |= {"A": (3, 5), "x": (5,)}
    if text.startswith("x in R;"):
        shapes["x"] = ()
    values = {n: (float(rng.uniform(0.5, 1.5)) if shapes[n] == () else
                  rng.normal(size=shapes[n]) + (4 * np.eye(4) if shapes[n] == (4, 4) else 0))
              for n in names}
    assert_derivative(text.replace("; ", "\n"), function, sizes, values)


MATRIX_PRODUCTS = {
    "f = tr(A exp(X)); find df/dX": lambda X, A, B, a, b: np.trace(A @ np.exp(X)),
    "f = a^T sin(A X B) b; find df/dX": lambda X, A, B, a, b: a @ np.sin(A @ X @ B) @ b,
    "f = tr((X .* A) B); find df/dX": lambda X, A, B, a, b: np.trace((X * A) @ B),
    "f = a^T (A .* X .* B) b; find df/dX": lambda X, A, B, a, b: a @ (A * X * B) @ b,
}


@pytest.mark.parametrize("text", MATRIX_PRODUCTS)
def test_entrywise_functions_inside_products(text: str) -> None:
    function = MATRIX_PRODUCTS[text]
    rng = np.random.default_rng(8)
    values = {"X": rng.normal(size=(4, 4)), "A": rng.normal(size=(4, 4)),
              "B": rng.normal(size=(4, 4)), "a": rng.normal(size=4), "b": rng.normal(size=4)}
    assert_derivative("X, A, B in R^{D x D}; a, b in R^D\n" + text.replace("; ", "\n"),
                      function, {"D": 4}, values)


@pytest.mark.parametrize("written, text, tex", [
    ("a x^T x + c", "a (xᵀx) + c", r"a \boldsymbol{x}^{\top} \boldsymbol{x} + c"),
    ("log(z + 1) + x^T x", "log(z + 1) + xᵀx", r"\log(z + 1) + \boldsymbol{x}^{\top}"),
    ("-y^T x + x^T x", "−yᵀx + xᵀx", r"-\boldsymbol{y}^{\top} \boldsymbol{x} + "),
    # a product's factors too (sympy's order was cos(z) sin(a))
    ("sin(a) cos(z) + x^T x", "sin(a) cos(z) + xᵀx", r"\sin(a) \cos(z) + "),
    ("z a + x^T y", "z a + xᵀy", r"z a + \boldsymbol{x}^{\top}"),
    ("sin(a) cos(z) x^T x", "sin(a) cos(z) (xᵀx)", r"\sin(a) \cos(z) \boldsymbol{x}^{\top}"),
])
def test_the_echo_keeps_the_written_order_of_a_sum(written: str, text: str, tex: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The problem as understood, in the order the user wrote its terms (sympy's own order
    was b + 2xᵀx for 2xᵀx + b), in every format and through the command line."""
    import matcalc
    from matcalc.cli import main
    from matcalc.render import render_all

    problem = f"x, y in R^D; a, c, z in R; f = {written}; find df/dx"
    solutions = matcalc.solve_all(problem, check=False)
    assert f"Define  f = {text}" in render_all(solutions, "text", width=100)
    assert tex in render_all(solutions, "latex")
    main(["solve", "--no-check", "--no-color", "-e", problem])
    assert f"Define  f = {text}" in capsys.readouterr().out


@pytest.mark.parametrize("text, rows", [
    (r"f = \tanh(z) \in \mathbb{R}^M, z = Ax + b, x \in \mathbb{R}^N, "
     r"A \in \mathbb{R}^{M\times N}, b \in \mathbb{R}^M", "M"),
    ("x in R^D; f = x^T x in R", "1"),
    ("x in R^D; A in R^{E x D}; f(x) = A x ∈ ℝ^E", "E"),
])
def test_a_definition_may_state_its_space(text: str, rows: str) -> None:
    """f = tanh(z) ∈ ℝ^M, as a textbook writes it: the stated size is the definition's."""
    import matcalc

    (derivation,) = matcalc.solve(text).derivations
    assert str(derivation.problem.definition("f").shape.rows) == rows
    assert derivation.checked is not None and derivation.checked.passed


def test_a_stated_space_that_does_not_fit_is_an_error_at_the_definition() -> None:
    import matcalc

    with pytest.raises(MatcalcError) as caught:
        matcalc.solve("x in R^D; f = x^T x in R^D")
    assert "f is declared D×1 but its definition is 1×1" in caught.value.message
    assert caught.value.span is not None and caught.value.span.column == 15


def test_a_syntax_error_quotes_the_text_as_typed() -> None:
    import matcalc

    with pytest.raises(MatcalcError) as caught:
        matcalc.solve("x in R^D; f = x^T x \\quad \\in")
    assert "unexpected end of line" in caught.value.message
    with pytest.raises(MatcalcError) as caught:
        matcalc.solve("x in R^D; f = x \\")
    assert caught.value.message == "unexpected character '\\'"


@pytest.mark.parametrize("text, written", [
    ("x ∈ ℝ^3\nf = x₁ x₂ + x_3\nfind df/dx", "x_1 x_2 + x_3"),  # entries, as x_1
    ("W₁, W₂ ∈ ℝ^{3×3}; x ∈ ℝ^3\nf = xᵀW₂W₁x\nfind df/dx", "xᵀW2 W1 x"),  # names, as W_1
    ("x ∈ ℝ^3; h₁ = 2x\nf = h₁ᵀh₁\nfind df/dx", None),
])
def test_unicode_subscript_digits_read_as_their_underscore_spelling(
        text: str, written: str | None) -> None:
    """x₁ is the entry x_1 and W₁ the name W1, as when written with an underscore; inside a
    run of names (W₁x) the digits stay with their name. Checked against numpy."""
    import matcalc
    from matcalc.render import render_all

    solution = matcalc.solve_all(text)[0]
    (derivation,) = solution.derivations
    assert derivation.checked is not None and derivation.checked.passed
    if written is not None:
        assert f"Define  f = {written}" in render_all([solution], "text", width=100)
    x = np.array([0.3, -1.2, 0.7])
    values = {"x": x}
    if "W" in text:
        rng = np.random.default_rng(2)
        values |= {"W1": rng.normal(size=(3, 3)), "W2": rng.normal(size=(3, 3))}
        expected = x @ (values["W2"] @ values["W1"] + (values["W2"] @ values["W1"]).T)
    elif "h" in text:
        expected = 8 * x
    else:
        expected = np.array([x[1], x[0], 1.0])
    np.testing.assert_allclose(derivation.evaluate({}, values), expected)


@pytest.mark.parametrize("text, denominator", [
    ("x in R^D; A in R^{D x D}; f = x^T A x / x^T x", "x^T alone, or x^T x"),
    ("x in R^D; f = 1/x^T x", "x^T alone, or x^T x"),
    ("y in R^N; w in R^D; X in R^{N x D}; L = ||y - X w||^2 / 2N; find dL/dw", "2 alone, or 2 N"),
    ("x, y in R^D; f = x^T y / ||x|| ||y||; find df/dx", "||x|| alone, or ||x|| ||y||"),
])
def test_a_product_after_a_division_is_never_guessed(text: str, denominator: str) -> None:
    """Students write both (p/q)·r and p/(q r) this way: refused, with both bracketings
    (issue 18; ½N‖y − Xw‖² was derived and checked in silence)."""
    with pytest.raises(MatcalcError, match="it is not clear what this divides by") as caught:
        matcalc.solve(text.replace("; ", "\n"), check=False)
    assert denominator in caught.value.message and caught.value.span is not None
    assert "\\frac" in caught.value.hint


DIVISIONS = {
    # a number over a number or one scalar name multiplies what follows, as textbooks mean it
    "-1/2 x^T A x": lambda x, A: -0.5 * x @ A @ x,
    "1/D x^T x": lambda x, A: x @ x / 3,  # a size used as a number (D = 3)
    "(x^T A x)/(x^T x)": lambda x, A: (x @ A @ x) / (x @ x),  # the Rayleigh quotient
    "x^T A x/(x^T x)": lambda x, A: (x @ A @ x) / (x @ x),
    r"\frac{x^T A x}{x^T x}": lambda x, A: (x @ A @ x) / (x @ x),
    "x^T x / 2": lambda x, A: x @ x / 2,
}


@pytest.mark.parametrize("written", DIVISIONS)
def test_divisions_that_have_one_reading(written: str) -> None:
    rng = np.random.default_rng(5)
    values = {"x": rng.normal(size=3), "A": rng.normal(size=(3, 3))}
    assert_derivative(f"x in R^D\nA in R^{{D x D}}\nf = {written}\nfind df/dx",
                      DIVISIONS[written], {"D": 3}, values)


@pytest.mark.parametrize("written", ["sigma(w^T x)", r"\sigma(w^T x)", "σ(w^T x)"])
def test_a_declared_sigma_right_before_a_bracket_is_refused(written: str) -> None:
    """σ ∈ ℝ declared, then σ(wᵀx): the product or the sigmoid? (issue 18)"""
    with pytest.raises(MatcalcError, match="could be σ times the bracket or the sigmoid"):
        matcalc.solve(f"w, x in R^D\nsigma in R\nf = {written}", check=False)


@pytest.mark.parametrize("written, meant", [
    ("sigma (w^T x)", lambda w, x, sigma: sigma * (w @ x)),
    ("sigma * (w^T x)", lambda w, x, sigma: sigma * (w @ x)),
    ("sigmoid(w^T x)", lambda w, x, sigma: sigmoid(w @ x)),
])
def test_sigma_with_a_space_or_an_operator_is_the_product(written: str, meant: Any) -> None:
    rng = np.random.default_rng(9)
    values = {"w": rng.normal(size=3), "x": rng.normal(size=3), "sigma": 0.7}
    assert_derivative(f"w, x in R^D\nsigma in R\nf = {written}\nfind df/dw", meant,
                      {"D": 3}, values)


# ReLU and the hinge: max(0, t) is relu(t), whose derivative step(t) is taken as 0 at the
# kink; each against numpy's maximum at random points (a kink is met with probability 0).
PIECEWISE = {
    "1_E^T relu(W x)": lambda x, W, w, c: np.sum(np.maximum(W @ x, 0)),
    "max(0, 1 - c w^T x)": lambda x, W, w, c: max(0.0, 1 - c * (w @ x)),
    "max(w^T x, 0)^2": lambda x, W, w, c: max(w @ x, 0.0) ** 2,
    "w^T relu(W^T relu(W x))": lambda x, W, w, c: w @ np.maximum(
        W.T @ np.maximum(W @ x, 0), 0),
    "step(w^T x) w^T x": lambda x, W, w, c: float(w @ x > 0) * (w @ x),
    # LaTeX's \max with a bracket or braces (a syntax error before)
    r"\max(0, 1 - c w^\top x)": lambda x, W, w, c: max(0.0, 1 - c * (w @ x)),
    r"\max\left\{0, 1 - c \mathbf{w}^T x\right\}": lambda x, W, w, c: max(
        0.0, 1 - c * (w @ x)),
    r"\max \{ w^T x, 0 \}^2 + \max(0, x^T x)": lambda x, W, w, c: max(w @ x, 0.0) ** 2
    + x @ x,
}


@pytest.mark.parametrize("written", PIECEWISE)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_relu_and_the_hinge(written: str, seed: int) -> None:
    D, E = 4, 3
    values = draw(np.random.default_rng(seed), x=(D,), W=(E, D), w=(D,), c=())
    text = f"x, w in R^D\nW in R^{{E x D}}\nc in R\nf = {written}\nfind df/dx"
    assert_derivative(text, PIECEWISE[written], {"D": D, "E": E}, values)


def test_a_kink_states_its_convention() -> None:
    derivation = matcalc.solve("x, w in R^D\nf = max(0, 1 - w^T x)\nfind df/dx").derivations[0]
    said = " ".join(derivation.to_text(width=200).split())
    assert "The derivative step(t) of relu(t)" in said and "taken as 0 at its kink, t = 0" in said
    assert derivation.checked is not None and derivation.checked.passed


@pytest.mark.parametrize("written", ["max(w^T x, c)", "\\max(w^T x, c)", "\\max\\{x\\}"])
def test_max_of_two_expressions_is_refused(written: str) -> None:
    with pytest.raises(MatcalcError, match="unsupported function 'max'") as caught:
        matcalc.solve(f"x, w in R^D\nc in R\nf = {written}\nfind df/dx")
    assert caught.value.span is not None and caught.value.span.column == 5


def test_a_diagonal_matrix_is_its_own_transpose() -> None:
    """`diagonal` is used, as README says of every property: xᵀSx by x is 2xᵀS; the echo
    shows what was declared, not what it implies."""
    solution = matcalc.solve("x in R^D\nS in R^{D x D}, diagonal\nf = x^T S x\nfind df/dx")
    (derivation,) = solution.derivations
    assert derivation.to_text().count("2xᵀS") >= 1
    assert "S ∈ ℝ^{D×D}, diagonal" in solution.to_text()
    S = np.diag([1.0, -2.0, 3.0])
    x = np.array([0.5, 1.0, -1.5])
    np.testing.assert_allclose(derivation.evaluate({"x": x, "S": S}), 2 * S @ x)


def test_the_sigmoid_prints_as_sigma_unless_the_problem_names_sigma() -> None:
    """σ(wᵀx), as MML writes it; where σ is a declared number the word stays, since σ(…)
    would then read back as σ times the bracket."""
    free = matcalc.solve("x, w in R^D\nf = log(sigmoid(w^T x))\nfind df/dw").to_text()
    assert "σ(wᵀx)" in free and "sigmoid" not in free.replace("derivative of sigmoid", "")
    named = matcalc.solve("x, w in R^D\nsigma in R\nf = sigma log(sigmoid(w^T x))\n"
                          "find df/dw").to_text()
    assert "sigmoid(wᵀx)" in named


@pytest.mark.parametrize("wrt", ["A", "x"])
def test_diag_of_a_square_matrix_is_its_diagonal(wrt: str) -> None:
    """diag(A) of a square matrix is the vector of its diagonal, read as (A ⊙ I)𝟏 (the echo
    says so); diag(v) of a vector stays the diagonal matrix."""
    text = f"x in R^D\nA in R^{{D x D}}\nf = x^T diag(A) + sum(diag(A))^2\nfind df/d{wrt}"
    rng = np.random.default_rng(8)
    values = {"x": rng.normal(size=4), "A": rng.normal(size=(4, 4))}
    assert_derivative(text, lambda x, A: x @ np.diag(A) + np.trace(A) ** 2, {"D": 4}, values)
    assert "(A ⊙ I) 𝟏_D" in matcalc.solve(text).to_text()


@pytest.mark.parametrize("written, meant, result, index", [
    ("w^T diag(A)", lambda w, A: w @ np.diag(A), "diag(w)", "δ_kl w_k"),
    ("diag(A)^T diag(A)", lambda w, A: np.diag(A) @ np.diag(A), "2(A ⊙ I)", "2 δ_kl A_kk"),
])
def test_a_derivative_through_the_diagonal_is_written_as_a_textbook_does(
        written: str, meant: Any, result: str, index: str) -> None:
    """(w𝟏ᵀ) ⊙ I is diag(w) and diag((A ⊙ I)𝟏) is A ⊙ I; (M ⊙ I)_kl is M_kl δ_kl."""
    text = f"w in R^D\nA in R^{{D x D}}\nf = {written}\nfind df/dA"
    rng = np.random.default_rng(3)
    values = {"w": rng.normal(size=4), "A": rng.normal(size=(4, 4))}
    assert_derivative(text, meant, {"D": 4}, values)
    derivation = matcalc.solve(text).derivations[0]
    said = derivation.to_text(width=200)
    assert f"df/dA = {result} ∈ ℝ^{{D×D}}" in said and f"∂f/∂A_kl = {index}" in said
    assert "𝟏_Dᵀ" not in said.split("Result")[1]
    np.testing.assert_allclose(derivation.lambdify()(**values),
                               derivation.evaluate(values))


@pytest.mark.parametrize("written", ["tr(S^{1/2})", "tr(S^{-1/2})", "tr(sqrtm(S))"])
def test_a_matrix_square_root_is_refused_with_its_reason(written: str) -> None:
    with pytest.raises(MatcalcError, match="square root") as caught:
        matcalc.solve(f"S in R^{{D x D}}, positive definite\nf = {written}\nfind df/dS")
    assert "Sylvester equation" in (caught.value.hint or "")
    assert caught.value.span is not None and caught.value.span.column == 8


@pytest.mark.parametrize("written, meant", [
    (r"1^T \sqrt[3]{x}", lambda x: np.sum(np.cbrt(x))),
    ("1^T (x - 1)^{2/3}", lambda x: np.sum(np.cbrt(x - 1) ** 2)),
    ("1^T (x - 1)^{-1/3}", lambda x: np.sum(1 / np.cbrt(x - 1))),
    (r"\operatorname{tr}(\sqrt[3]{X})", None),
])
def test_an_odd_root_is_real_where_its_argument_is_negative(written: str, meant: Any) -> None:
    """\\sqrt[3]{x} at x < 0 is the real cube root, as a student means it (numpy's power gave
    NaN, and the check found no point where the function is finite); the exported code
    agrees (np.cbrt, sign·|·|^(p/q))."""
    x = np.array([-2.0, -0.5, 0.7, 3.0])
    if meant is None:
        text = f"X in R^{{D x D}}\nf = {written}\nfind df/dX"
        values = {"X": np.array([[-8.0, 1.0], [2.0, -0.3]])}
        assert_derivative(text, lambda X: np.sum(np.cbrt(np.diag(X))), {"D": 2}, values)
    else:
        text = f"x in R^D\nf = {written}\nfind df/dx"
        values = {"x": x}
        assert_derivative(text, meant, {"D": 4}, values)
    derivation = matcalc.solve(text).derivations[0]
    assert derivation.checked is not None and derivation.checked.passed
    np.testing.assert_allclose(derivation.lambdify()(**values), derivation.evaluate(values))
