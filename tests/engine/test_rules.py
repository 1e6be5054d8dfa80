"""One test per rule, named after the identity it proves; values checked symbolically and,
through the problems suite, numerically."""

from __future__ import annotations

import pytest
import sympy
from sympy import Identity, Lambda, MatAdd, MatMul, MatrixSymbol, Transpose
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix

import matcalc
from matcalc.engine.partial import partial
from matcalc.engine.rules import (
    ElementwiseFunction,
    InnerProduct,
    ProductRule,
    QuadraticForm,
    SquaredNorm,
    TraceRule,
)
from matcalc.language import parse
from matcalc.objects import ENTRY, Norm, Scalar
from matcalc.render.printers import unicode

D = sympy.Symbol("D", integer=True, positive=True)
E = sympy.Symbol("E", integer=True, positive=True)
x = MatrixSymbol("x", D, 1)
y = MatrixSymbol("y", D, 1)
A = MatrixSymbol("A", E, D)
B = MatrixSymbol("B", D, D)
NONE: frozenset[sympy.Basic] = frozenset()


def test_inner_product_xT_x_is_2_xT() -> None:
    step = partial(Scalar(Transpose(x) * x), x, NONE)
    assert isinstance(step, InnerProduct)
    assert step.value == MatMul(2, x.T) and step.shape.dims == (1, D)


def test_quadratic_form_is_xT_B_plus_BT() -> None:
    step = partial(Scalar(sympy.MatMul(Transpose(x), B, x)), x, NONE)
    assert isinstance(step, QuadraticForm) and not step.symmetric
    assert step.value == MatMul(x.T, MatAdd(B, B.T))


def test_quadratic_form_symmetric_is_2_xT_B_and_says_why() -> None:
    step = partial(Scalar(sympy.MatMul(Transpose(x), B, x)), x, frozenset({B}))
    assert isinstance(step, QuadraticForm) and step.symmetric
    assert step.value == MatMul(2, x.T, B)
    assert step.because


def test_linear_map_A_x_is_A() -> None:
    step = partial(A * x, x, NONE)
    assert isinstance(step, ProductRule) and step.single
    assert step.value == A and step.shape.dims == (E, D)


def test_inner_product_of_two_vectors_is_product_rule() -> None:
    step = partial(Scalar(sympy.MatMul(Transpose(x), B, y)), y, NONE)
    assert step.value == MatMul(x.T, B)
    step = partial(Scalar(sympy.MatMul(Transpose(x), B, y)), x, NONE)
    assert step.value == MatMul(y.T, B.T)


def test_elementwise_sin_is_diag_cos() -> None:
    (problem,) = parse("z in R^E\nf = sin(z)")
    z = problem.declaration("z").symbol
    step = partial(problem.definition("f").expr, z, NONE)
    assert isinstance(step, ElementwiseFunction)
    assert step.value == DiagMatrix(ElementwiseApplyFunction(Lambda(ENTRY, sympy.cos(ENTRY)), z))
    assert step.shape.dims == (E, E)


def test_squared_norm_is_2_uT_du() -> None:
    step = partial(Norm(x) ** 2, x, NONE)
    assert isinstance(step, SquaredNorm) and step.value == MatMul(2, x.T)


def test_trace_of_outer_product_plus_scaled_identity_is_2_xT() -> None:
    sigma = sympy.Symbol("sigma", real=True)
    expr = sympy.Trace(sympy.MatAdd(x * Transpose(x), sigma**2 * Identity(D)))
    step = partial(expr, x, NONE)
    assert isinstance(step, TraceRule)
    assert step.rewritten == D * sigma**2 + Scalar(x.T * x)
    assert step.value == MatMul(2, x.T)


def test_scalar_chain_log_one_plus_z() -> None:
    z = sympy.Symbol("z", real=True)
    step = partial(sympy.log(1 + z), z, NONE)
    assert sympy.simplify(step.value - 1 / (1 + z)) == 0


def test_constant_gives_zero_of_the_jacobian_shape() -> None:
    step = partial(A * y, x, NONE)
    assert step.value == sympy.ZeroMatrix(E, D)


def test_scalar_factor_inside_a_product_multiplies_the_rest() -> None:
    """Found by the property tests: (Bsx)ᵀ(Bsx) with s = xᵀa depending on x."""
    import matcalc

    derivation = matcalc.solve("x, a in R^D\nB in R^{D x D}\n"
                               "f = tr((B ((x^T a) (x))) (B ((x^T a) (x)))^T)\nfind df/dx")
    assert derivation.derivations[0].checked.passed


def test_trace_of_an_entrywise_product_uses_its_diagonal() -> None:
    import matcalc

    derivation = matcalc.solve("B in R^{D x D}\nf = tr(B .* B)\nfind df/dB").derivations[0]
    assert derivation.checked is not None and derivation.checked.passed


def test_cross_entropy_of_class_k_is_softmax_minus_unit_vector() -> None:
    """MML's −log softmax(Wx)_k: the k-th row of diag(s) − ssᵀ is s_k(e_k − s)ᵀ."""
    import matcalc

    derivation = matcalc.solve("x in R^D\nW in R^{K x D}\nL = -log softmax(W x)_k\n"
                               "find dL/dx").derivations[0]
    assert unicode(derivation.result) == "(softmax(Wx)ᵀ − e_kᵀ) W"
    assert derivation.checked is not None and derivation.checked.passed


@pytest.mark.parametrize("middle", ["A^T", "A^{-T}", "A^{-1}", "(A B)^T", "A^T B^T", "(A^2)^T",
                                    "(A^T)^{-1}"])
def test_a_quadratic_form_never_prints_a_double_transpose(middle: str) -> None:
    """xᵀBx → xᵀ(B + Bᵀ) with Bᵀ worked out: (Aᵀ)ᵀ is A, (A⁻ᵀ)ᵀ is A⁻¹, never Aᵀᵀ."""
    from matcalc.render.printers import unicode

    derivation = matcalc.solve(f"x in R^D; A, B in R^{{D x D}}; f = x^T {middle} x; "
                               "find df/dx").derivations[0]
    assert derivation.checked is not None and derivation.checked.passed
    for text in (unicode(derivation.result), derivation.to_text()):
        assert "ᵀᵀ" not in text and "⁻ᵀᵀ" not in text, text


def test_a_power_transposed_is_the_power_of_the_transpose() -> None:
    """(Aᵏ)ᵀ = (Aᵀ)ᵏ: a result never prints (xxᵀ)²ᵀ; an inverse stays A⁻ᵀ."""
    from matcalc.engine.algebra import transpose
    from matcalc.render.printers import unicode

    D = sympy.Symbol("D", integer=True, positive=True)
    A = MatrixSymbol("A", D, D)
    assert unicode(transpose(sympy.MatPow(A, 2))) == "(Aᵀ)²"
    assert unicode(transpose(sympy.Inverse(A))) == "A⁻ᵀ"
    derivation = matcalc.solve("x in R^D; f = 1^T (x x^T)^2 x; find df/dx").derivations[0]
    assert "²ᵀ" not in unicode(derivation.result)
    assert derivation.checked is not None and derivation.checked.passed


@pytest.mark.parametrize("text, result", [
    ("x in R^n; f = ||Q x||^2; find df/dx", "2xᵀ"),
    ("x in R^n; f = x^T Q^T Q x; find df/dx", "2xᵀ"),
    ("x in R^n; f = x^T Q^{-1} Q x; find df/dx", "2xᵀ"),
    ("A in R^{n x n}; f = tr(Q^T A Q); find df/dA", "I"),
    ("x, b in R^n; f = ||Q x - b||^2; find df/dx", "2(Qx − b)ᵀ Q"),  # nothing meets
])
def test_a_declared_orthogonal_matrix_cancels_with_its_transpose(text: str, result: str) -> None:
    """QᵀQ = QQᵀ = I and Q⁻¹ = Qᵀ for a declared orthogonal Q, said in a remark; the check
    draws Q orthogonal, so a wrong cancellation would fail it."""
    from matcalc.render.printers import unicode

    derivation = matcalc.solve(f"Q in R^{{n x n}}, orthogonal; {text}").derivations[0]
    assert unicode(derivation.result) == result
    assert derivation.checked is not None and derivation.checked.passed
    said = any("orthogonal" in str(part) for remark in derivation.remarks for part in remark)
    assert said == (result != "2(Qx − b)ᵀ Q")
