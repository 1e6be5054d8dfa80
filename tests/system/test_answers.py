"""The textbook's answer written in each problem of problems/ (a ``# Answer:`` line per
derivation, in the problem language, in the order of the derivations) is read and compared
numerically with what matcalc derived, at random distinct sizes and values that respect the
declared properties. The answer is the book's form (det(AX) Aᵀ(AX)⁻ᵀ), not matcalc's
(det(AX) X⁻ᵀ): the two must agree as numbers."""

from __future__ import annotations

import re

import numpy as np
import pytest

from matcalc.check import draw_point, random_sizes, random_values, result_value
from matcalc.language import read_expression
from matcalc.model import Declaration, Target
from tests.conftest import problem_texts, solved

ANSWER = re.compile(r"^#\s*Answer:\s*(.+?)\s*=\s*(.+)$", re.MULTILINE)


def label(target: Target) -> str:
    """df/dx, d2f/dx2, d2f/dxdy, T_2 f at x0: how an answer names its derivative."""
    if target.at is not None:
        return f"T_{target.order} {target.of} at {target.at}"
    if target.wrt2 is None:
        return f"d{target.of}/d{target.wrt}"
    if target.wrt2 == target.wrt:
        return f"d2{target.of}/d{target.wrt}2"
    return f"d2{target.of}/d{target.wrt}d{target.wrt2}"

# derivations whose answer the problem language cannot write, and why
UNWRITABLE = {
    ("attention#0", "A", "V"): "I_e ⊗ P, an identity whose size the language cannot write",
    ("attention#1", "P", "S"): "diag(vec P), which needs vec",
    ("matrix-by-matrix#0", "K", "R"): "the commutation matrix K_{m,n}",
    ("matrix-by-matrix#3", "F", "X"): "the commutation matrix K_{m,n}",
    ("matrix-by-matrix#4", "F", "X"): "vec(Y), which the language refuses",
    ("matrix-by-matrix#5", "F", "X"): "the commutation matrix K_{m,n}",
    ("matrix-by-matrix#6", "F", "X"): "the commutation matrix K_{m,n}",
    ("mml-5.9#0", "g", "nu"): "abstract functions, which have no values",
    ("second-order#10", "f", "X"): "the commutation matrix K_{n,n}",
    ("second-order#13", "f", "x"): "a tensor of three indices, written by its entries",
    ("second-order#14", "f", "x"): "unit vectors e_1, e_2 alone, whose size is not told",
}
PROBLEMS = problem_texts()


@pytest.mark.parametrize("name, text", PROBLEMS, ids=[name for name, _ in PROBLEMS])
def test_the_textbook_answer_is_what_was_derived(name: str, text: str) -> None:
    answers = ANSWER.findall(text)
    derivations = [d for s in solved(text) for d in s.derivations
                   if (name, d.target.of, d.target.wrt) not in UNWRITABLE]
    assert [name for name, _ in answers] == [label(d.target) for d in derivations], \
        "one answer per derivation, in order"
    for (_, written), derivation in zip(answers, derivations, strict=True):
        problem = derivation.problem
        assert problem is not None
        names = [*problem.declarations, *(
            Declaration(d.name, d.symbol, d.shape, frozenset(), d.span)
            for d in problem.definitions)]
        answer = read_expression(written, names, derivation.shape)
        for seed in (1, 2):
            rng = np.random.default_rng(seed)
            sizes = random_sizes(problem, rng)
            if derivation.taylor is not None:  # a polynomial: finite at any values
                values = random_values(problem, sizes, rng, positive=True)
            else:
                values, _, _ = draw_point(derivation, sizes, rng)
            with np.errstate(all="ignore"):
                got = np.asarray(result_value(derivation, values, sizes), dtype=float)
                book = np.asarray(result_value(derivation, values, sizes, result=answer),
                                  dtype=float)
            assert np.all(np.isfinite(got)), written
            np.testing.assert_allclose(np.broadcast_to(book, got.shape), got, rtol=1e-7,
                                       atol=1e-9, err_msg=written)


def test_the_unwritable_answers_are_still_derivations_of_problems() -> None:
    """The exceptions above name derivations that exist (a renamed problem fails here)."""
    found = {(name, d.target.of, d.target.wrt) for name, text in PROBLEMS
             for s in solved(text) for d in s.derivations}
    assert set(UNWRITABLE) <= found
