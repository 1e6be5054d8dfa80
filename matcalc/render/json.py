"""JSON for programs: a stable shape, documented in README, built as dicts and dumped last.

Imports matcalc.model, render.printers, render.sentence.
"""

from __future__ import annotations

import json
import math
from typing import Any

from matcalc.model import Derivation, Shape, Solution, Step, TensorViews
from matcalc.render import sentence as say
from matcalc.render.printers import Dims, Notation, PartialMark


def dims(shape: Shape, notation: Notation) -> list[str]:
    return [notation.unicode(Dims(Shape((d,)))) for d in shape.dims]


def math_pair(expr: object, notation: Notation) -> dict[str, str]:
    return {"text": notation.unicode(expr), "latex": notation.latex(expr)}


def step_dict(step: Step, notation: Notation, symbol: PartialMark | None = None
              ) -> dict[str, Any]:
    mark = symbol or PartialMark(step.expr, step.wrt)
    unicode, latex = notation.unicode, notation.latex
    return {
        "rule": say.rule_title(step),
        "symbol": unicode(mark),
        "symbol_latex": latex(mark),
        "shape": dims(step.shape, notation),
        "text": unicode(step.value),
        "latex": latex(step.value),
        "explanation": say.fill(say.explanation(step), unicode),
        "views": views_dict(step.views, notation),
        "substeps": [step_dict(sub, notation) for sub in step.substeps
                     if sub.name not in {"identity", "constant"}],
    }


def views_dict(views: TensorViews | None, notation: Notation) -> dict[str, Any] | None:
    """The differential, the index formula and the vectorized Jacobian, with shapes."""
    if views is None:
        return None
    return {
        "differential": math_pair(views.differential, notation),
        "index": None if views.index is None else {
            "of": math_pair(views.of_entry, notation),
            "wrt": math_pair(views.wrt_entry, notation),
            **math_pair(views.index, notation)},
        "vec": math_pair(views.vec, notation),
        "vec_shape": dims(views.vec_shape, notation),
        "tensor_shape": dims(views.tensor, notation),
    }


def derivation_dict(derivation: Derivation, notation: Notation) -> dict[str, Any]:
    check = derivation.checked
    return {
        "of": derivation.target.of,
        "wrt": derivation.target.wrt,
        "wrt2": derivation.target.wrt2,
        "order": derivation.target.order,
        "at": derivation.target.at,
        "gradient": None if derivation.gradient is None else {
            "name": notation.unicode(derivation.of_symbol),
            **math_pair(derivation.function, notation)},
        "layout": derivation.layout,
        "introduced": [{"name": d.name, **math_pair(d.expr, notation)}
                       for d in (derivation.problem.definitions if derivation.problem else ())
                       if d.introduced],
        "shape": dims(derivation.shape, notation),
        "chains": [
            {"path": list(chain.names), "shape": dims(chain.shape, notation),
             "product": math_pair(chain.product, notation)}
            for chain in derivation.chains
        ],
        "steps": [step_dict(link.step, notation, PartialMark(link.of_symbol, link.wrt_symbol))
                  for chain in derivation.chains for link in chain.links],
        "result": math_pair(derivation.result, notation),
        "named_result": None if derivation.named_result is None else math_pair(
            derivation.named_result, notation),
        "views": views_dict(derivation.views, notation),
        "remarks": [say.fill(remark, notation.unicode) for remark in derivation.remarks],
        "check": None if check is None else {
            "passed": check.passed, "max_error": finite(check.max_error),
            "sizes": dict(check.sizes), "message": check.message},
    }


def solution_dict(solution: Solution, notation: Notation) -> dict[str, Any]:
    return {
        "title": solution.problem.title,
        "derivations": [derivation_dict(d, notation) for d in solution.derivations],
    }


def finite(number: float) -> float | None:
    """A number JSON can hold: null for inf and nan (JSON has no Infinity)."""
    return number if math.isfinite(number) else None


def dumps(solutions: list[Solution], latex_style: str = "bold") -> str:
    return json.dumps({"problems": [solution_dict(s, Notation.of(s.problem, latex_style))
                                    for s in solutions]},
                      ensure_ascii=False, indent=2, allow_nan=False) + "\n"
