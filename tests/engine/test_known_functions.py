"""Results in the form a textbook prints: the logistic function by name, two entrywise
functions of one vector as one, the row of ones picking a diagonal, log softmax, inverses of
products, commutations with a vector. Each result is also checked against finite
differences."""

from __future__ import annotations

import pytest

import matcalc
from matcalc.render.printers import unicode


@pytest.mark.parametrize("text, result", [
    ("x in R^D; f = 1^T log(1 + exp(x)); find df/dx", "σ(x)ᵀ"),
    ("x in R^D; f = 1^T exp(x); find df/dx", "exp(x)ᵀ"),
    ("w, x in R^D; f = log(1 + exp(w^T x)); find df/dw", "σ(wᵀx) xᵀ"),
    ("w, x in R^D; f = log(1 + exp(-w^T x)); find df/dw", "−σ(−wᵀx) xᵀ"),
    # entrywise functions of one vector make one: f(x)ᵀ diag(g(x)) = (f(x) ⊙ g(x))ᵀ, summed
    ("x in R^D; f = exp(x)^T exp(x); find df/dx", "2 exp(2 x)ᵀ"),
    ("x in R^D; f = sin(x)^T cos(x); find df/dx", "(cos(x)² − sin(x)²)ᵀ"),
    ("x in R^D; f = x^T exp(x); find df/dx", "(x ⊙ exp(x) + exp(x))ᵀ"),
    ("x in R^D; f = sum(x.^2); find df/dx", "2xᵀ"),  # 𝟏ᵀ diag(2x) = 2xᵀ, not (2 x)ᵀ
    # rows of entrywise functions of several vectors, by the algebra of one entry: the
    # cross-entropy of a logistic model is (σ(Xw) − y)ᵀX, not (1 − y)ᵀdiag(σ) − yᵀdiag(1 − σ)
    ("w in R^D; y in R^N; X in R^{N x D}; "
     "L = -y^T log(sigmoid(X w)) - (1_N - y)^T log(1_N - sigmoid(X w)); find dL/dw",
     "(σ(Xw) − y)ᵀ X"),
    # MML's cross-entropy by the weights: (softmax(Wx) − e_k) xᵀ, the k-th row of the
    # softmax Jacobian picked through its transpose
    ("x in R^D; W in R^{K x D}; L = -log softmax(W x)_k; find dL/dW", "(softmax(Wx) − e_k) xᵀ"),
    ("w in R^D; y in R^N; X in R^{N x D}; L = -\\sum_{n=1}^{N} [y_n log(sigmoid(w^T x_n)) "
     "+ (1 - y_n) log(1 - sigmoid(w^T x_n))]; find dL/dw", "(σ(Xw) − y)ᵀ X"),
    # log softmax: diag(1/s)(diag(s) − ssᵀ) = I − 𝟏sᵀ, and from the right I − s𝟏ᵀ
    ("x in R^D; y in R^K; W in R^{K x D}; L = -y^T log(softmax(W x)); find dL/dx",
     "−yᵀ (I − 𝟏_K softmax(Wx)ᵀ) W"),
    ("x, y in R^D; A in R^{D x D}; f = -y^T log(softmax(A x)); find df/dA",
     "−(I − softmax(Ax) 𝟏_Dᵀ) yxᵀ"),
    # inverses of products of square factors, commutations with a vector
    ("X, A in R^{n x n}; f = det(A X); find df/dX", "det(AX) X⁻ᵀ"),
    ("X, A in R^{n x n}; f = log(det(A X)); find df/dX", "X⁻ᵀ"),
    ("X, A in R^{n x n}; f = log(det(X A)); find df/dX", "X⁻ᵀ"),
    ("x in R^D; A in R^{D x D}; F = x^T A; find dF/dx", "Aᵀ"),  # K_{1,D} = I, Aᵀ ⊗ I₁ = Aᵀ
    ("x in R^D; F = x^T; find dF/dx", "I"),
])
def test_result_in_textbook_form(text: str, result: str) -> None:
    derivation = matcalc.solve(text).derivations[0]
    assert unicode(derivation.result) == result
    assert derivation.checked is not None and derivation.checked.passed


def test_the_logistic_function_is_named_in_a_remark() -> None:
    derivation = matcalc.solve("x in R^D; f = 1^T log(1 + exp(x)); find df/dx").derivations[0]
    said = [" ".join(p if isinstance(p, str) else unicode(p.expr) for p in remark)
            for remark in derivation.remarks]
    assert any("logistic function" in line and "σ(t)" in line for line in said), said


def test_a_cited_identity_uses_letters_the_problem_does_not() -> None:
    """tr(UV) = tr(VU) cited inside tr(UXV) would read as the problem's U and V."""
    derivation = matcalc.solve("U, V, X in R^{n x n}; f = tr(U X V); find df/dX").derivations[0]
    said = [unicode(part.expr) for step in derivation.steps for part in step.explain()
            if not isinstance(part, str)]
    assert "tr(PQ)" in said and "tr(UV)" not in said
    assert derivation.checked is not None and derivation.checked.passed
