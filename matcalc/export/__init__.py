"""Code export: a derivation as a NumPy or JAX function, with its own check.

``module_source(solutions, "numpy")`` writes one module for a file's problems;
``lambdified(derivation)`` makes a derivation's code a Python function. The code is written
from the derivation's expressions (sympy objects matcalc built), never from a user's text.
"""

from __future__ import annotations

from typing import Any

from matcalc.export.module import identifier, module_source
from matcalc.model import Derivation, Solution


def lambdified(derivation: Derivation, library: str = "numpy") -> Any:
    """A function of the declared variables by their names (keyword arguments, as
    ``Derivation.evaluate`` takes its values) returning the derivative's array."""
    assert derivation.problem is not None
    solution = Solution(derivation.problem, (derivation,))
    source = module_source([solution], library)
    namespace: dict[str, Any] = {}
    exec(compile(source, "<matcalc code>", "exec"), namespace)  # code written by matcalc
    (name,) = [n for n in namespace if n.endswith("_and_grad")]
    function = namespace[name]
    problem = derivation.problem

    def derivative(**values: Any) -> Any:
        arguments = {identifier(key): value for key, value in values.items()
                     if problem.declaration(key) is not None or key.isidentifier()}
        outputs = function(**{k: v for k, v in arguments.items()
                              if k in function.__code__.co_varnames[
                                  :function.__code__.co_argcount]})
        return outputs[-1]

    derivative.__doc__ = function.__doc__
    derivative.source = source  # type: ignore[attr-defined]
    return derivative


__all__ = ["identifier", "lambdified", "module_source"]
