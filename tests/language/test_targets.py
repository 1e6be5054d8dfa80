"""What matcalc prints as a derivative's name reads back as the same target: the title of
every derivation in problems/, as text (dF/dX, dvec(F)/dvec(X)) and as LaTeX
(\\frac{\\mathrm{d}f}{\\mathrm{d}{\\boldsymbol{W}_{1}}}), written after 'find' names the same
function and the same variable."""

from __future__ import annotations

import re

import pytest

import matcalc
from matcalc.render import sentence as say
from matcalc.render.printers import Notation
from tests.conftest import problem_texts, solved

FIND = re.compile(r"^\s*find\b.*$", re.MULTILINE)


EXTRA = [
    ("numbered", "x in R^D; W1 in R^{D x D}; h1 = tanh(W1 x); f = h1^T h1\nfind df/dW1"),
    ("hat", "x, y in R^D; yhat = 2 x; L = ||y - yhat||^2\nfind dL/dyhat"),
    ("greek", "mu, x in R^D; f = (x - mu)^T (x - mu)\nfind df/dmu"),
    # constructs read since: each printed form must read back too
    ("root", "x in R; y in R^D; f = \\sqrt[3]{x} + 1^T \\sqrt[3]{y}\nfind df/dy"),
    ("entries", "X in R^{3 x 3}; x in R^3; f = X_{12} x_1 + x^T 1 + 1^T X 1\nfind df/dX"),
    ("stated", "x in R^N; A in R^{M x N}; f = \\tanh(z) \\in \\mathbb{R}^M; z = A x\n"
               "find df/dx"),
    ("subscripts", "W₁ ∈ ℝ^{3×3}; x ∈ ℝ^3; f = x₂ xᵀW₁x\nfind df/dW_1"),
    ("orthogonal", "Q in R^{n x n}, orthogonal; x in R^n; f = ||Q x||^2\nfind grad f"),
]
CASES = problem_texts() + EXTRA


@pytest.mark.parametrize("style", ["bold", "plain"])
@pytest.mark.parametrize("name, text", CASES, ids=[name for name, _ in CASES])
def test_a_printed_target_reads_back_as_the_same_target(name: str, text: str,
                                                         style: str) -> None:
    for derivation in (d for s in solved(text) for d in s.derivations):
        mark = say.target(derivation).expr
        notation = Notation(style=style)
        printed = {notation.unicode(mark), notation.latex(mark)}
        for written in printed:
            again = matcalc.solve(FIND.sub("", text) + f"\nfind {written}", check=False)
            (target,) = [d.target for d in again.derivations]
            assert (target.of, target.wrt) == (derivation.target.of, derivation.target.wrt), \
                written


@pytest.mark.parametrize("fmt", ["text", "bold", "plain"])
@pytest.mark.parametrize("name, text", CASES, ids=[name for name, _ in CASES])
def test_a_printed_problem_reads_back_as_the_same_problem(name: str, text: str,
                                                          fmt: str) -> None:
    """The problem as matcalc shows it (its declarations, its definitions and its targets,
    as text or as LaTeX, pasted back into a file) is the problem that was solved."""
    from matcalc.language import parse

    (solution,) = solved(text)
    problem = solution.problem
    notation = Notation.of(problem, "plain" if fmt == "plain" else "bold")
    show = notation.unicode if fmt == "text" else notation.latex
    lines = [say.fill(line, show, str) for line in say.declarations(problem)]
    lines += [say.fill(say.definition(d, problem), show, str)
              for d in problem.definitions if not d.introduced]
    lines += [f"find {show(say.target(d).expr)}" for d in solution.derivations]
    (again,) = parse("\n".join(lines))
    assert {d.name: d.expr for d in again.definitions} == {
        d.name: d.expr for d in problem.definitions if not d.introduced}, lines
    assert [(d.name, d.shape) for d in again.declarations] == [
        (d.name, d.shape) for d in problem.declarations], lines
    assert [(t.of, t.wrt) for t in again.targets] == [
        (t.of, t.wrt) for t in problem.targets], lines


@pytest.mark.parametrize("written", ["grad f", r"\nabla f", "∇f", "grad_x f", r"\nabla_x f"])
def test_a_gradient_without_its_variable_is_by_the_one_the_function_depends_on(
        written: str) -> None:
    derivation = matcalc.solve(f"x, a in R^D\nf = a^T x + x^T x\nfind {written}",
                               check=False).derivations[0]
    assert (derivation.target.of, derivation.target.wrt) == ("f", "x")


def test_a_gradient_of_a_function_of_several_variables_asks_for_one() -> None:
    with pytest.raises(matcalc.MatcalcError) as caught:
        matcalc.solve("a in R^D; A in R^{D x D}; f = a^T A a\nfind grad f", check=False)
    assert "it is not clear which variable to differentiate f by: a, A" in caught.value.message
