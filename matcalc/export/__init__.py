"""Code export: a derivation as a NumPy or JAX function, with its own check.

``module_source(solutions, "numpy")`` writes one module for a file's problems;
``lambdified(derivation)`` makes a derivation's code a Python function. The code is written
from the derivation's expressions (sympy objects matcalc built), never from a user's text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matcalc.export.module import identifier, module_of, module_source, problem_codes, skipped
from matcalc.model import Derivation, Solution


def lambdified(derivation: Derivation, library: str = "numpy") -> Any:
    """A function of the declared variables by their declared names (a mapping, or keyword
    arguments, as ``Derivation.evaluate`` takes its values) returning the derivative's
    array in the numeric contract, computed by the code matcalc writes for it."""
    assert derivation.problem is not None
    (code,) = problem_codes([Solution(derivation.problem, (derivation,))], library)
    source = module_of([code], library, None, [])
    namespace: dict[str, Any] = {}
    exec(compile(source, "<matcalc code>", "exec"), namespace)  # matcalc's code, not the user's
    function = namespace[f"{code.name}_and_grad"]
    argument = {declaration.name: code.names.of(declaration.name)
                for declaration in code.arguments}
    argument |= {str(index): code.names.of(str(index)) for index in code.indices}

    def derivative(values: Mapping[str, Any] | None = None, /, **named: Any) -> Any:
        given = {**(values or {}), **named}
        missing = [name for name in argument if name not in given]
        if missing:
            raise TypeError(f"missing values for {', '.join(missing)}")
        outputs = function(**{argument[name]: given[name] for name in argument})
        return outputs[-1] if isinstance(outputs, tuple) else outputs

    derivative.__doc__ = function.__doc__
    derivative.source = source  # type: ignore[attr-defined]
    return derivative


__all__ = ["identifier", "lambdified", "module_source", "skipped"]
