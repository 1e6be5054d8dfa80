"""Name the inner pieces of a composite expression, as a textbook's worked solution does.

f = ‖Ax − b‖² becomes f = ‖u‖² with u = Ax − b; exp(−½(x − μ)ᵀS⁻¹(x − μ)) becomes
exp(−½z) with z = yᵀS⁻¹y and y = x − μ. An intermediate is introduced where a function,
a power or a norm is applied to a composite argument, and for the vector of a quadratic
form or inner product; numbers are left outside it (log(1 + z), not log(u) with u = 1 + z).
The new names avoid every name the problem uses. The chain rule then runs over the
introduced links like over the user's own.
Imports sympy, matcalc.model and matcalc.objects.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

import sympy
from sympy import Determinant, MatAdd, MatMul, MatrixSymbol, Trace, Transpose
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from matcalc.model import Definition, Problem, Shape
from matcalc.objects import (
    Applied,
    AppliedVector,
    LogSumExp,
    Norm,
    Scalar,
    Softmax,
    UnitVector,
    is_matrix,
    picked,
    shape_of,
)

NAMES = ("u", "v", "w", "h", "r", "s", "p", "q", "k", "m")


@dataclass
class Namer:
    taken: set[str]
    introduced: list[Definition] = field(default_factory=list)
    new_paths: bool = True  # may a name open a second path to a variable used outside it?
    stems: set[str] = field(init=False)  # the problem's letters: h of h1, w of W1

    def __post_init__(self) -> None:
        self.stems = {n.rstrip("0123456789").lower() for n in self.taken}

    def fresh(self, matrix: bool = False) -> str:
        """u, v, w, … for a scalar or a vector; U, V, W, … for a matrix, as textbooks
        write them. Never a name the problem uses, nor the letter of its numbered names (no
        lone h beside h1, h2), and never runs out."""
        names = [n.upper() for n in NAMES] if matrix else list(NAMES)
        names = [n for n in names if n.lower() not in self.stems] or names[:1]
        stem = names[0]
        candidates = itertools.chain(names, (f"{stem}{i}" for i in itertools.count(1)))
        name = next(n for n in candidates if n not in self.taken and (
            n.lower() not in self.taken and n.upper() not in self.taken))
        self.taken.add(name)
        return name

    def name(self, core: sympy.Basic, like: Definition) -> sympy.Basic:
        """A new intermediate standing for core (itself decomposed first)."""
        core = self.split(core, like)
        for earlier in self.introduced:  # the same inner expression gets the same name
            if earlier.expr == core:
                return earlier.symbol
        rows, cols = shape_of(core)
        name = self.fresh(matrix=rows != 1 and cols != 1)
        symbol = sympy.Symbol(name, real=True) if rows == cols == 1 else MatrixSymbol(
            name, rows, cols)
        self.introduced.append(replace(like, name=name, symbol=symbol, function=None,
                                       arguments=(), expr=core, shape=Shape((rows, cols)),
                                       introduced=True))
        return symbol

    def split(self, expr: sympy.Basic, like: Definition) -> sympy.Basic:
        """expr with every composite argument of a function replaced by a new name."""
        if not expr.args or isinstance(expr, MatrixSymbol | sympy.Symbol):
            return expr
        if isinstance(expr, ElementwiseApplyFunction):
            return ElementwiseApplyFunction(expr.function, self.argument(expr.expr, like))
        if isinstance(expr, Norm | Softmax | LogSumExp):
            return expr.func(self.argument(expr.arg, like))
        if isinstance(expr, sympy.Pow) and isinstance(expr.base, Norm):  # ‖u‖² is one rule
            return sympy.Pow(Norm(self.argument(expr.base.arg, like)), expr.exp)
        if isinstance(expr, sympy.Pow) and expr.exp.is_number and expr.exp < 0:
            return sympy.Pow(self.split(expr.base, like), expr.exp)  # f/g: the quotient rule
        if isinstance(expr, sympy.Pow) and expr.exp.is_number:
            return sympy.Pow(self.argument(expr.base, like), expr.exp)
        if isinstance(expr, sympy.Function) and len(expr.args) == 1 and not isinstance(
                expr, Applied):
            return expr.func(self.argument(expr.args[0], like))
        if isinstance(expr, Scalar):
            return Scalar(self.form(expr.matrix, like))
        if isinstance(expr, Applied | AppliedVector | sympy.Lambda):
            return expr
        return expr.func(*(self.split(a, like) for a in expr.args))

    def form(self, product: sympy.Basic, like: Definition) -> sympy.Basic:
        """uᵀ M u and uᵀu with a composite u: name u (the vector of the form)."""
        match product.args if isinstance(product, MatMul) else ():
            case (Transpose(arg=left), *middle, right) if left == right and composite(left):
                name = self.name(left, like)
                return MatMul(Transpose(name), *(self.split(m, like) for m in middle), name)
        return self.split(product, like)

    def argument(self, argument: sympy.Basic, like: Definition) -> sympy.Basic:
        """The argument with its core named: numbers (−½, 1 +) stay outside."""
        core = strip_numbers(argument)
        picked = picked_vector(core)
        if picked is not None:  # log s_k with s = softmax(u): name the vector, not its entry
            return argument.xreplace({picked: self.name(picked, like)}) if composite(
                picked) else argument
        if not composite(core) or not (self.new_paths or alone(core, like.expr)):
            return self.split(argument, like)
        return argument.xreplace({core: self.name(core, like)})


def alone(core: sympy.Basic, whole: sympy.Basic) -> bool:
    """Whether the variables of ``core`` appear in ``whole`` only inside it, so that naming
    it adds no second path (tanh(A h) + h: naming A h would give h two paths)."""
    rows, cols = shape_of(core)
    stand_in = MatrixSymbol(sympy.Dummy().name, rows, cols) if is_matrix(core) else (
        sympy.Dummy())
    rest = whole.xreplace({core: stand_in})
    variables = core.atoms(sympy.Symbol, MatrixSymbol) - {
        s for s in core.atoms(sympy.Symbol) if s.is_integer}
    return not any(rest.has(v) for v in variables)


def strip_numbers(expr: sympy.Basic) -> sympy.Basic:
    """−½ q → q, 1 + xᵀx → xᵀx: the part of an argument that is not a number."""
    if isinstance(expr, sympy.Add | MatAdd):
        rest = [a for a in expr.args if not a.is_number]
        if len(rest) == 1:
            return strip_numbers(rest[0])
        return expr
    if isinstance(expr, sympy.Mul | MatMul):
        rest = [a for a in expr.args if not a.is_number]
        if len(rest) == 1:
            return strip_numbers(rest[0])
    return expr


def picked_vector(expr: sympy.Basic) -> sympy.Basic | None:
    """v in v_k = e_kᵀv (X in X_kl = e_kᵀXe_l)."""
    found = picked(expr)
    return None if found is None else found[0]


def composite(expr: sympy.Basic) -> bool:
    """Worth a name: not a variable, and not det X, tr X or p(x, z), which read as units."""
    if picked_vector(expr) is not None:
        return composite(picked_vector(expr))
    if isinstance(expr, Scalar):
        return composite(expr.matrix)
    units = (sympy.Symbol | MatrixSymbol | Determinant | Trace | Applied | AppliedVector
             | UnitVector | sympy.OneMatrix | sympy.Identity)  # e_k, 𝟏, I: constants
    if isinstance(expr, sympy.Pow) and isinstance(expr.base, sympy.Symbol):
        return False  # x², like x, is read at a glance
    return not isinstance(expr, units) and not expr.is_number


def decompose(problem: Problem, new_paths: bool = True) -> Problem:
    """The problem with named intermediates for the composite arguments of its functions;
    with ``new_paths`` False, only those that add no second path through the graph."""
    taken = {d.name for d in problem.declarations} | {d.name for d in problem.definitions}
    taken |= {d.function for d in problem.definitions if d.function}
    taken |= {str(s) for d in problem.declarations for s in d.shape.dims}
    namer = Namer(taken, new_paths=new_paths)
    definitions = [replace(d, expr=namer.split(d.expr, d)) for d in problem.definitions]
    if not namer.introduced:
        return problem
    return replace(problem, definitions=(*definitions, *namer.introduced))
