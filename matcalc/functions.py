"""The function table: one record for each function matcalc knows, read by every layer.

Which functions exist, how they are written, what they are in sympy, how numpy computes
them, what their derivative is and how they are printed is said here once: the language
reads the spellings, the engine differentiates the sympy form (whose derivative, for a
function of matcalc's own, is the record's), the check and the code export evaluate with
``numpy``, and the printers take the names. Adding a function is adding one record.

- ``Entrywise``: a function of a number; applied to a vector or matrix it acts entry by
  entry (tanh, sigmoid, softplus). ``words`` are the spellings a problem may use; a function
  without words only appears in derivatives (sech, sympy's sign).
- ``MatrixFunction``: a function of a whole vector or matrix (tr, det, softmax); the language
  builds it, with its shape checks, and the engine has a rule for each.

Imports sympy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy
from sympy import Expr

Array = Any  # a numpy array or float; numpy itself is never imported here (start-up)


@dataclass(frozen=True)
class Entrywise:
    """f(t) for a number t, applied entry by entry to vectors and matrices."""

    name: str  # the word printed in text, and the name the language reads
    words: tuple[str, ...]  # every spelling that reads as this function (with or without \\)
    form: Callable[[Expr], Expr]  # f(t) as sympy builds it: sympy.tanh, log(1 + eᵗ), …
    numpy: Callable[[Any, Array], Array]  # (numpy, t) ↦ f(t), entry by entry
    code: str  # the same as source for the code export, t written {}: "np.tanh({})"
    latex: str  # \\tanh, \\operatorname{sigmoid}: the name before the bracket
    kind: type | None = None  # the sympy class of f(t), where it has one of its own
    derivative: Callable[[Expr], Expr] | None = None  # f′(t) for a function of matcalc's own


@dataclass(frozen=True)
class MatrixFunction:
    """A function of a whole vector or matrix: tr X, det X, softmax(z), ‖x‖."""

    name: str
    words: tuple[str, ...]
    latex: str


def _sympy(function: Any) -> Callable[[Expr], Expr]:
    form: Callable[[Expr], Expr] = function
    return form


def _own(name: str, words: tuple[str, ...], numpy: Callable[[Any, Array], Array], code: str,
         derivative: Callable[[Expr], Expr], doc: str) -> Entrywise:
    """A function of matcalc's own: a sympy class whose derivative is the record's."""

    def fdiff(self: sympy.Function, argindex: int = 1) -> Expr:
        return derivative(self.args[0])

    kind = type(name, (sympy.Function,), {"nargs": 1, "fdiff": fdiff, "__doc__": doc,
                                          "__module__": __name__})
    return Entrywise(name, words, kind, numpy, code, f"\\operatorname{{{name}}}", kind,
                     derivative)


def _sympys(name: str, *more: str) -> Entrywise:
    """One of sympy's functions, the one numpy calls by the same name: \\sin, np.sin."""
    kind = getattr(sympy, name)
    return Entrywise(name, (name, *more), _sympy(kind), lambda np, t: getattr(np, name)(t),
                     f"np.{name}({{}})", "\\" + name, kind)


ENTRYWISE: tuple[Entrywise, ...] = (
    *(_sympys(name) for name in ("sin", "cos", "tan", "exp", "tanh", "sinh", "cosh")),
    _sympys("log", "ln"),
    # 1/(1 + e⁻ᵗ) as exp(−log(1 + e⁻ᵗ)): no overflow for any t
    _own("sigmoid", ("sigmoid", "sigma_fn"), lambda np, t: np.exp(-np.logaddexp(0, -t)),
         "np.exp(-np.logaddexp(0, -{}))", lambda t: sigmoid(t) * (1 - sigmoid(t)),
         "The logistic function σ(t) = 1/(1 + e⁻ᵗ); σ′ = σ(1 − σ)."),
    Entrywise("sqrt", ("sqrt",), _sympy(sympy.sqrt), lambda np, t: np.sqrt(t), "np.sqrt({})",
              "\\sqrt"),
    Entrywise("abs", ("abs",), _sympy(sympy.Abs), lambda np, t: np.abs(t),
              "np.abs({})", "\\operatorname{abs}", sympy.Abs),
    # its derivative is 0 wherever it has one (all but 0); sympy's own sign, which |t|
    # differentiates to, would give a Dirac delta, which has no values to check
    _own("sign", ("sign", "sgn"), lambda np, t: np.sign(t), "np.sign({})", lambda t: sympy.S.Zero,
         "The sign of a number as a user writes it: −1, 0 or 1."),
    # relu′ = step, with step(0) = 0 (a subgradient at the kink; the check stays away from it)
    _own("step", ("step", "heaviside"), lambda np, t: np.heaviside(t, 0.0),
         "np.heaviside({}, 0.0)", lambda t: sympy.S.Zero,
         "The unit step: 1 for t > 0, 0 for t ≤ 0."),
    _own("relu", ("relu", "ReLU"), lambda np, t: np.maximum(t, 0), "np.maximum({}, 0)",
         lambda t: step(t), "The rectifier max(0, t); relu′ = step, taken as 0 at t = 0."),
    # read as what it is, log(1 + eᵗ), so that its derivative is the sigmoid it is
    Entrywise("softplus", ("softplus",), lambda t: sympy.log(1 + sympy.exp(t)),
              lambda np, t: np.logaddexp(0, t), "np.logaddexp(0, {})",
              "\\operatorname{softplus}"),
    _own("softsign", ("softsign",), lambda np, t: t / (1 + np.abs(t)),
         "{} / (1 + np.abs({}))",
         lambda t: 1 / (1 + sympy.Abs(t)) ** 2, "The softsign t/(1 + |t|)."),
    # met only in derivatives and simplified results
    Entrywise("sec", (), _sympy(sympy.sec), lambda np, t: 1 / np.cos(t),
              "1 / np.cos({})", "\\sec", sympy.sec),
    Entrywise("sech", (), _sympy(sympy.sech), lambda np, t: 1 / np.cosh(t),
              "1 / np.cosh({})", "\\operatorname{sech}",
              sympy.sech),
    Entrywise("sign", (), _sympy(sympy.sign), lambda np, t: np.sign(t), "np.sign({})",
              "\\operatorname{sign}",
              sympy.sign),
)

MATRIX_FUNCTIONS: tuple[MatrixFunction, ...] = (
    MatrixFunction("tr", ("tr", "trace", "Tr"), "\\operatorname{tr}"),
    MatrixFunction("det", ("det",), "\\det"),
    MatrixFunction("inv", ("inv",), ""),  # printed as X^{-1}
    MatrixFunction("sum", ("sum",), ""),  # read as 𝟏ᵀx
    MatrixFunction("diag", ("diag",), "\\operatorname{diag}"),
    MatrixFunction("softmax", ("softmax",), "\\operatorname{softmax}"),
    MatrixFunction("norm", ("norm",), ""),  # printed as ‖x‖
    MatrixFunction("logsumexp", ("logsumexp", "lse"), "\\operatorname{lse}"),
    MatrixFunction("vec", (), "\\operatorname{vec}"),  # printed in vectorized Jacobians
)

ALL: tuple[Entrywise | MatrixFunction, ...] = (*ENTRYWISE, *MATRIX_FUNCTIONS)
# word → function name, for the language
WORDS: dict[str, str] = {word: f.name for f in ALL for word in f.words}
# function name → record, for the functions a problem may write
ENTRYWISE_BY_NAME: dict[str, Entrywise] = {f.name: f for f in ENTRYWISE if f.words}
# sympy class → record, for the engine, the check and the printers
BY_KIND: dict[type, Entrywise] = {f.kind: f for f in ENTRYWISE if f.kind is not None}

sigmoid: Any = ENTRYWISE_BY_NAME["sigmoid"].kind  # made by matcalc, used by the identities
sign: Any = ENTRYWISE_BY_NAME["sign"].kind
step: Any = ENTRYWISE_BY_NAME["step"].kind
relu: Any = ENTRYWISE_BY_NAME["relu"].kind


def of_expression(expr: sympy.Basic) -> Entrywise | None:
    """The record of f when expr is f(t) for a function in the table."""
    return BY_KIND.get(type(expr))


__all__ = ["ALL", "BY_KIND", "ENTRYWISE", "ENTRYWISE_BY_NAME", "MATRIX_FUNCTIONS", "WORDS",
           "Entrywise", "MatrixFunction", "of_expression", "relu", "sigmoid", "sign", "step"]
