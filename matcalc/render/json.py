"""JSON for programs: a stable shape, documented in README, built as dicts and dumped last.

Imports matcalc.model, render.printers, render.sentence.
"""

from __future__ import annotations

import json
from typing import Any

from matcalc.model import Derivation, Shape, Solution, Step, TensorViews
from matcalc.render import sentence as say
from matcalc.render.printers import Dims, PartialMark, latex, unicode


def dims(shape: Shape) -> list[str]:
    return [unicode(Dims(Shape((d,)))) for d in shape.dims]


def math_pair(expr: object) -> dict[str, str]:
    return {"text": unicode(expr), "latex": latex(expr)}


def step_dict(step: Step, symbol: PartialMark | None = None) -> dict[str, Any]:
    mark = symbol or PartialMark(step.expr, step.wrt)
    return {
        "rule": say.rule_title(step),
        "symbol": unicode(mark),
        "symbol_latex": latex(mark),
        "shape": dims(step.shape),
        "text": unicode(step.value),
        "latex": latex(step.value),
        "explanation": say.fill(say.explanation(step), unicode),
        "views": views_dict(step.views),
        "substeps": [step_dict(sub) for sub in step.substeps
                     if sub.name not in {"identity", "constant"}],
    }


def views_dict(views: TensorViews | None) -> dict[str, Any] | None:
    """The differential, the index formula and the vectorized Jacobian, with shapes."""
    if views is None:
        return None
    return {
        "differential": math_pair(views.differential),
        "index": {"of": math_pair(views.of_entry), "wrt": math_pair(views.wrt_entry),
                  **math_pair(views.index)},
        "vec": math_pair(views.vec),
        "vec_shape": dims(views.vec_shape),
        "tensor_shape": dims(views.tensor),
    }


def derivation_dict(derivation: Derivation) -> dict[str, Any]:
    check = derivation.checked
    return {
        "of": derivation.target.of,
        "wrt": derivation.target.wrt,
        "layout": derivation.layout,
        "introduced": [{"name": d.name, **math_pair(d.expr)}
                       for d in (derivation.problem.definitions if derivation.problem else ())
                       if d.introduced],
        "shape": dims(derivation.shape),
        "chains": [
            {"path": list(chain.names), "shape": dims(chain.shape),
             "product": math_pair(chain.product)}
            for chain in derivation.chains
        ],
        "steps": [step_dict(link.step, PartialMark(link.of_symbol, link.wrt_symbol))
                  for chain in derivation.chains for link in chain.links],
        "result": math_pair(derivation.result),
        "named_result": None if derivation.named_result is None else math_pair(
            derivation.named_result),
        "views": views_dict(derivation.views),
        "remarks": [say.fill(remark, unicode) for remark in derivation.remarks],
        "check": None if check is None else {
            "passed": check.passed, "max_error": check.max_error,
            "sizes": dict(check.sizes), "message": check.message},
    }


def solution_dict(solution: Solution) -> dict[str, Any]:
    return {
        "title": solution.problem.title,
        "derivations": [derivation_dict(d) for d in solution.derivations],
    }


def dumps(solutions: list[Solution]) -> str:
    return json.dumps({"problems": [solution_dict(s) for s in solutions]},
                      ensure_ascii=False, indent=2) + "\n"
