"""Every rule the engine can use, by the name a reader sees and the sentence it says,
collected from one small example each into tests/golden/rules.txt (read it as a student)."""

from __future__ import annotations

from collections.abc import Callable

import matcalc
from matcalc.engine.differential import MatrixDifferential
from matcalc.engine.rules import RULES
from matcalc.model import Step
from matcalc.render import sentence as say
from matcalc.render.printers import unicode

EXAMPLES = [
    "x, b in R^D; A in R^{D x D}; f = x^T A x + b^T x; find df/dx",
    "x, mu in R^D; S in R^{D x D}, symmetric; f = exp(-1/2 (x - mu)^T S^{-1} (x - mu))",
    "x, a in R^D; f = (a^T x) / (1 + x^T x); find df/dx",
    "x in R^D; A in R^{E x D}; B in R^{F x D}; f = (A x) \\otimes (B x); find df/dx",
    "x in R^D; A in R^{D x D}; f = ||A x||^2 + ||x||; find df/dx",
    "x in R^D; f = x .* x + sin(x); find df/dx",
    "z in R^K; f = lse(z) + 1_K^T softmax(z); find df/dz",
    "x, w in R^D; t in R; L = -(t log(sigmoid(w^T x)))^3; find dL/dw",
    "x in R^D; f = tr(x x^T); find df/dx",
    "x, z in R^D; p differentiable; g = log p(x, z); find dg/dz",
    "X in R^{m x n}; f = log det(X^T X); find df/dX",
    "x, y in R^D; f = x^T y - y^T y; find df/dx",
]


def walk(step: Step) -> list[Step]:
    return [step, *(s for sub in step.substeps for s in walk(sub))]


def catalogue() -> dict[str, str]:
    seen: dict[str, str] = {}
    for text in EXAMPLES:
        for derivation in matcalc.solve(text, check=False).derivations:
            for top in derivation.steps:
                for step in walk(top):
                    title = say.rule_title(step)
                    if title not in seen:
                        seen[title] = say.fill(say.explanation(step), unicode)
    return seen


def test_every_rule_appears_with_its_sentence(golden: Callable[[str, str], None]) -> None:
    found = catalogue()
    kinds = {type(step).__name__ for text in EXAMPLES
             for d in matcalc.solve(text, check=False).derivations
             for top in d.steps for step in walk(top)}
    missing = {rule.__name__ for rule in [*RULES, MatrixDifferential]} - kinds
    assert not missing, f"no example uses {missing}"
    listing = "\n".join(f"{title}\n    {sentence}" for title, sentence in sorted(found.items()))
    golden("rules.txt", listing + "\n")
