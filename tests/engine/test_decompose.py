"""The engine names composite arguments as a worked solution does, and only those."""

from __future__ import annotations

import matcalc
from matcalc.engine.decompose import decompose
from matcalc.language import parse
from matcalc.render.printers import unicode


def introduced(text: str) -> list[tuple[str, str]]:
    (problem,) = parse(text)
    return [(d.name, unicode(d.expr)) for d in decompose(problem).definitions if d.introduced]


def test_norm_of_an_affine_map_names_the_residual() -> None:
    assert introduced("x, b in R^D\nA in R^{D x D}\nf = ||A x - b||^2") == [("u", "Ax − b")]


def test_numbers_stay_outside_the_name() -> None:
    assert introduced("x in R^D\nf = log(1 + x^T x)") == [("u", "xᵀx")]
    assert introduced("x, mu in R^D\nS in R^{D x D}\nf = exp(-1/2 (x - mu)^T S^{-1} (x - mu))"
                      ) == [("u", "x − μ"), ("v", "uᵀS⁻¹u")]


def test_names_do_not_clash_with_the_problem() -> None:
    names = [name for name, _ in introduced("u, v in R^D\nf = sin(u^T v)\nfind df/du")]
    assert names and not {"u", "v", "f", "D"} & set(names)


def test_names_are_not_the_letter_of_a_numbered_name() -> None:
    """No lone h beside h1 and h2, nor w beside W1: "Let h = W4h3" reads as a typo."""
    text = "\n".join(["x in R^D", *(f"W{k} in R^{{D x D}}" for k in range(1, 13)),
                      "h0 = x", *(f"h{k} = tanh(W{k} h{k - 1})" for k in range(1, 13)),
                      "f = h12^T h12", "find df/dx"])
    names = [name for name, _ in introduced(text)]
    assert len(names) == 12 and len(set(names)) == 12
    assert not {n for n in names if n.rstrip("0123456789").lower() in {"h", "w", "x", "f"}}


def test_the_same_inner_expression_keeps_one_name() -> None:
    assert introduced("x, w in R^D\nf = sigmoid(w^T x) (1 - sigmoid(w^T x))") == [
        ("u", "wᵀx")]


def test_user_chains_and_simple_arguments_are_left_alone() -> None:
    assert introduced("x in R^D\nf(z) = log(1 + z)\nz = x^T x") == []
    assert introduced("x in R^D\nf = sin(x)") == []


def test_decomposed_results_still_check() -> None:
    solution = matcalc.solve("x, w in R^D\ng = sigmoid(w^T x) (1 - sigmoid(w^T x))\nfind dg/dw")
    derivation = solution.derivations[0]
    assert [chain.names for chain in derivation.chains] == [("g", "u", "w")]
    assert derivation.checked is not None and derivation.checked.passed
