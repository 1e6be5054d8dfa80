"""Every spelling of ../shared/language.md reads as the same problem."""

from __future__ import annotations

import pytest

from matcalc.language import parse
from matcalc.model import Property


def definitions(text: str) -> list[tuple[str, str]]:
    (problem,) = parse(text)
    return [(d.name, str(d.expr)) for d in problem.definitions]


@pytest.mark.parametrize("declaration", [
    "A in R^{E x D}", "A in R^{E \\times D}", "A \\in \\mathbb{R}^{E\\times D}",
    "A ∈ ℝ^{E×D}", "A in R^{ExD}", "$A \\in \\mathbb{R}^{E \\times D }$",
])
def test_matrix_declarations_agree(declaration: str) -> None:
    (problem,) = parse(f"{declaration}\nx in R^D\nz = A x\n")
    (a,) = [d for d in problem.declarations if d.name == "A"]
    assert str(a.shape) == "E×D"


@pytest.mark.parametrize("transpose", ["x^T", "x^{T}", "x^\\top", "x^{\\top}", "x'", "xᵀ",
                                       "x^\\intercal"])
def test_transpose_spellings_agree(transpose: str) -> None:
    assert definitions(f"x in R^D\nf = {transpose} x") == [("f", "Scalar(x.T*x)")]


@pytest.mark.parametrize("inverse", ["S^{-1}", "S^-1", "S⁻¹", "inv(S)"])
def test_inverse_spellings_agree(inverse: str) -> None:
    assert definitions(f"x in R^D, S in R^{{D x D}}\nf = x^T {inverse} x") == [
        ("f", "Scalar(x.T*S**(-1)*x)")]


@pytest.mark.parametrize("expression", [
    "exp(-1/2 z)", "exp(\\frac{-1}{2}z)", "\\exp(-\\frac{1}{2} z)", "e_fn", ])
def test_half_spellings_agree(expression: str) -> None:
    if expression == "e_fn":
        expression = "\\exp\\left(-\\frac{1}{2} z\\right)"
    assert definitions(f"z in R\nf = {expression}") == [("f", "exp(-z/2)")]


@pytest.mark.parametrize("target", [
    "find df/dx", "find d f / d x", "find \\frac{df}{dx}",
    "find \\frac{\\partial f}{\\partial x}", "find grad_x f", "find ∂f/∂x",
])
def test_target_spellings_agree(target: str) -> None:
    (problem,) = parse(f"x, y in R^D\nf = x^T y\n{target}")
    assert [(t.of, t.wrt) for t in problem.targets] == [("f", "x")]


def test_several_targets_on_one_line() -> None:
    (problem,) = parse("x, y in R^D\nf = x^T y\nfind df/dx, df/dy")
    assert [(t.of, t.wrt) for t in problem.targets] == [("f", "x"), ("f", "y")]


def test_juxtaposition_splits_declared_names_longest_first() -> None:
    assert definitions("A in R^{E x D}, x in R^D, Ax2 in R\nz = Ax") == [("z", "A*x")]


def test_greek_names_in_ascii_latex_and_unicode_are_one_name() -> None:
    for mu in ("mu", "\\mu", "μ"):
        (problem,) = parse(f"x, {mu} in R^D\nf = x - {mu}")
        assert [d.name for d in problem.declarations] == ["x", "mu"]


def test_properties_after_a_comma_or_in_a_sentence() -> None:
    for text in ("S in R^{D x D}, symmetric\nx in R^D\nf = x^T S x",
                 "S in R^{D x D}\nS is symmetric\nx in R^D\nf = x^T S x"):
        (problem,) = parse(text)
        assert Property.SYMMETRIC in problem.declaration("S").properties


def test_positive_definite_implies_symmetric_and_invertible() -> None:
    (problem,) = parse("S in R^{D x D}, positive definite\nx in R^D\nf = x^T S x")
    assert {Property.SYMMETRIC, Property.INVERTIBLE} <= problem.declaration("S").properties


def test_headings_and_problem_lines_start_problems() -> None:
    text = "## 5.7 (a)\nx in R^D\nf = x^T x\nproblem: second # note\nx in R^D\ng = x^T x\n"
    assert [p.title for p in parse(text)] == ["5.7 (a)", "second"]


def test_comments_and_layout_words_are_not_math() -> None:
    text = "x in R^D # the input\nwhere A in R^{D x D} and f = x^T A x; find df/dx"
    (problem,) = parse(text)
    assert [d.name for d in problem.definitions] == ["f"]


def test_identity_takes_its_size_from_the_matrix_beside_it() -> None:
    assert definitions("x in R^D, sigma in R\nf = tr(x x^T + sigma^2 I)") == [
        ("f", "Trace(sigma**2*I + x*x.T)")]


def test_named_functions_keep_their_name_and_arguments() -> None:
    (problem,) = parse("x, mu in R^D\nS in R^{D x D}\nf(z) = exp(-1/2 z)\n"
                       "z = g(y) = y^T S^{-1} y\ny = h(x) = x - mu")
    z = problem.definition("z")
    assert (z.function, z.arguments) == ("g", ("y",))
    assert problem.targets[0].implied and problem.targets[0].wrt == "x"


@pytest.mark.parametrize("spelling", ["z_k", "z_{k}", "(z)_k"])
def test_an_entry_of_a_vector_is_e_k_transposed_times_it(spelling: str) -> None:
    assert definitions(f"z in R^K\nf = {spelling}") == [("f", "Scalar(UnitVector(k, K).T*z)")]


def test_entry_beyond_a_fixed_length_is_an_error() -> None:
    import matcalc

    with pytest.raises(matcalc.MatcalcError, match="entry 4 does not exist"):
        parse("z in R^3\nf = z_4")


def test_a_minus_sign_before_a_function_word_negates_the_application() -> None:
    assert definitions("z in R^K\nf = -log softmax(z)_k") == [
        ("f", "-log(Scalar(UnitVector(k, K).T*Softmax(z)))")]
