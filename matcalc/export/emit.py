"""Python source for a sympy expression: one small rule per kind of node, as numeric.py has
one rule per kind of node for its value. The code computes exactly what the evaluator does,
with the array library's operations chosen for speed and stability from the symbolic shapes:

- S⁻¹y is ``np.linalg.solve(S, y)``, never an inverse times a vector; log det X is read
  from ``slogdet``; diag(v)M scales M's rows (``v * M``) and is never made dense;
  tr(AB) is ``np.sum(A * B.T)``; a product is associated toward its vector end, as
  ``numeric.chain_product`` does;
- sigmoid is computed through ``logaddexp`` and log(1 + eᵗ) is ``logaddexp(0, t)``, finite for
  any t; log σ(t) and log(1 − σ(t)) are −softplus(∓t).

``Program`` writes lines: a part used more than once is computed once under a fresh name
(common subexpressions, counted in one pass over every expression the program computes), and
a function applied entry by entry to an argument already computed under a name (h = tanh(u))
is read from that name wherever the derivative needs it again (1 − tanh(u)² is 1 - h**2).
The walk is a loop, not recursion, so a 400-layer network writes without touching Python's
recursion limit.

The library is a name (``np`` for NumPy, ``jnp`` for jax.numpy): both have the same functions,
and the code never writes into an array, so that jax can trace and differentiate it.
Imports sympy, matcalc.functions, matcalc.objects, matcalc.errors.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy
from sympy import (
    Determinant,
    HadamardProduct,
    Identity,
    Inverse,
    KroneckerProduct,
    MatAdd,
    MatMul,
    MatPow,
    MatrixSymbol,
    OneMatrix,
    Trace,
    Transpose,
    ZeroMatrix,
)
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix

from matcalc import functions
from matcalc.errors import MatcalcError
from matcalc.objects import (
    Commutation,
    LogSumExp,
    Norm,
    Scalar,
    Softmax,
    UnitVector,
    Vec,
    as_dimension,
    is_matrix,
    parts_of,
    post_order,
    shape_of,
)

# Python's precedences, from loosest to tightest, as far as the code needs them
SUM, PRODUCT, UNARY, POWER, ATOM = 10, 20, 30, 40, 50
LINE = 72  # the longest expression written on one line before its parts get lines


@dataclass(frozen=True)
class Code:
    """A Python expression and how tightly it binds; ``negated`` is the text without its
    leading minus (so that a sum writes a - b, not a + -b); ``diagonal`` marks a diagonal
    matrix diag(v) held as its column v, for a product to scale rows or columns with."""

    text: str
    precedence: int = ATOM
    negated: Code | None = None
    diagonal: bool = False

    def tight(self, precedence: int) -> str:
        """The text, bracketed when it binds more loosely than ``precedence`` asks."""
        return self.text if self.precedence >= precedence else f"({self.text})"


def call(function: str, *arguments: Code | str) -> Code:
    return Code(f"{function}({', '.join(a if isinstance(a, str) else a.text for a in arguments)})")


def negative(code: Code) -> Code:
    """−code: -x, -(a + b), and -a * b for −(a·b) (unary minus binds tighter than *)."""
    if code.negated is not None:
        return code.negated
    if PRODUCT <= code.precedence < POWER:
        return Code(f"-{code.text}", PRODUCT, negated=code, diagonal=code.diagonal)
    return Code(f"-{code.tight(POWER)}", UNARY, negated=code, diagonal=code.diagonal)


# Functions the module defines once, when its code uses them (name → source, with the
# library's name written LIB)
HELPERS: dict[str, str] = {
    "_softmax": '''def _softmax(z):
    """softmax(z) of a column, shifted by its largest entry so that exp never overflows."""
    e = LIB.exp(z - LIB.max(z))
    return e / LIB.sum(e)''',
    "_row_softmax": '''def _row_softmax(S):
    """softmax of each row of S, shifted by the row's largest entry."""
    e = LIB.exp(S - LIB.max(S, axis=1, keepdims=True))
    return e / LIB.sum(e, axis=1, keepdims=True)''',
    "_logsumexp": '''def _logsumexp(z):
    """log(sum(exp(z))) of a column, shifted by its largest entry."""
    top = LIB.max(z)
    return top + LIB.log(LIB.sum(LIB.exp(z - top)))''',
    "_logdet": '''def _logdet(X):
    """log det X from slogdet: defined where det X > 0 (-inf at 0, nan below, as log is)."""
    sign, logabs = LIB.linalg.slogdet(X)
    return LIB.where(sign > 0, logabs, LIB.where(sign == 0, -LIB.inf, LIB.nan))''',
    "_commutation": '''def _commutation(m, n):
    """K with K vec(A) = vec(Aᵀ) for an m×n A: row l + k·n of K is row k + l·m of I."""
    rows = (LIB.arange(m)[:, None] + m * LIB.arange(n)[None, :]).reshape(-1)
    return LIB.eye(m * n)[rows]''',
}


Rule = Callable[["Program", Any], Code]
Children = Callable[[Any], Sequence[sympy.Basic]]


@dataclass(frozen=True)
class EmitRule:
    children: Children
    emit: Rule


RULES: dict[type, EmitRule] = {}


def _args(node: sympy.Basic) -> Sequence[sympy.Basic]:
    return tuple(node.args)


def _none(node: sympy.Basic) -> Sequence[sympy.Basic]:
    return ()


def _arg(node: Any) -> Sequence[sympy.Basic]:
    return (node.arg,)


def rule(*kinds: type, children: Children = _args) -> Callable[[Rule], Rule]:
    def register(emit: Rule) -> Rule:
        for kind in kinds:
            RULES[kind] = EmitRule(children, emit)
        return emit

    return register


def rule_for(node: sympy.Basic) -> EmitRule:
    for kind in type(node).__mro__:
        found = RULES.get(kind)
        if found is not None:
            return found
    raise MatcalcError(f"cannot write code for {type(node).__name__}")


def size_text(dims: Iterable[sympy.Basic]) -> str:
    return "×".join(str(d) for d in dims)


@dataclass
class Program:
    """The lines of one function body, and what is computed under which name."""

    lib: str  # "np" or "jnp"
    names: dict[sympy.Basic, Code] = field(default_factory=dict)  # computed or given
    uses: Counter[sympy.Basic] = field(default_factory=Counter)
    lines: list[str] = field(default_factory=list)
    taken: set[str] = field(default_factory=set)  # every identifier in use
    helpers: set[str] = field(default_factory=set)
    # f(arg) already computed under a name, by (f's sympy class, arg): h = tanh(u)
    applied: dict[tuple[type, sympy.Basic], Code] = field(default_factory=dict)
    local: dict[sympy.Basic, Code] | None = None  # the variable of a function being written
    temporaries: int = 0
    symmetric: frozenset[sympy.Basic] = frozenset()  # the matrices declared symmetric
    written: dict[sympy.Basic, Code] = field(default_factory=dict)  # the current walk's codes
    by_text: dict[str, Code] = field(default_factory=dict)  # each temporary by its code

    # ---- names and lines -----------------------------------------------------------------

    def fresh(self, stem: str) -> str:
        name, count = stem, 1
        while name in self.taken:
            count += 1
            name = f"{stem}{count}"
        self.taken.add(name)
        return name

    def give(self, node: sympy.Basic, name: str) -> None:
        """The node is the value of a name (an argument, a size)."""
        self.names[node] = Code(name)
        self.taken.add(name)

    def line(self, text: str) -> None:
        self.lines.append(text)

    def assigned(self, name: str, text: str, comment: str) -> None:
        """``name = text  # comment``, the comment on the line above when the line is long."""
        line = f"{name} = {text}"
        if comment and len(line) + len(comment) + 8 > LINE + 20:
            self.line(f"# {comment}")
            self.line(line)
        else:
            self.line(line + (f"  # {comment}" if comment else ""))

    def assign(self, name: str, node: sympy.Basic, comment: str = "",
               symbol: sympy.Basic | None = None) -> Code:
        """``name = <code of node>  # comment``; the node (and the symbol standing for it)
        is that name from then on."""
        code = self.dense(self.code(node))
        self.assigned(name, code.text, comment)
        self.names[node] = Code(name)
        if symbol is not None:
            self.names[symbol] = Code(name)
        self.taken.add(name)
        if isinstance(node, ElementwiseApplyFunction):
            body = node.function.expr
            if type(body) in functions.BY_KIND and body.args == node.function.variables:
                self.applied[(type(body), node.expr)] = Code(name)
        return Code(name)

    # ---- counting ------------------------------------------------------------------------

    def count(self, roots: Iterable[sympy.Basic]) -> None:
        """How many times each part is used by the expressions to be written (each distinct
        parent counted once, as it is written once)."""
        seen: set[sympy.Basic] = set()
        stack = list(roots)
        for root in stack:
            self.uses[root] += 1
        while stack:
            node = stack.pop()
            if node in seen or node in self.names:
                continue
            seen.add(node)
            if isinstance(node, ElementwiseApplyFunction):  # σ(t) in a body: a use of σ(u)
                body, argument = _innermost(node)
                for _, whole in _entry_functions(body, node.function.variables[0], argument):
                    if whole != node:
                        self.uses[whole] += 1
            for child in rule_for(node).children(node):
                self.uses[child] += 1
                stack.append(child)

    # ---- writing -------------------------------------------------------------------------

    def code(self, node: sympy.Basic) -> Code:
        """The code of a node, its parts first (post-order, a loop); a part used twice and
        worth a line is computed once under a fresh name."""
        order = post_order(node, lambda part: rule_for(part).children(part),
                           lambda part: self.known(part) is not None)
        outer, self.written = self.written, {}
        try:
            for current in order:
                if current in self.written:
                    continue
                code = self.shortened(current, rule_for(current).emit(self, current))
                if current is not node and self.worth_a_line(current, code):
                    code = self.temporary(current, code)
                self.written[current] = code
            return self.known(node) or self.written[node]
        finally:
            self.written = outer

    def shortened(self, node: sympy.Basic, code: Code) -> Code:
        """A node's code short enough to read on one line: while it is longer than LINE, its
        longest part is computed on a line of its own first."""
        rule = rule_for(node)
        while self.local is None and len(code.text) > LINE:
            parts = [c for c in rule.children(node) if self.known(c) is None
                     and c in self.written and not self.written[c].diagonal
                     and len(self.written[c].text) > 12]
            if not parts:
                break
            longest = max(parts, key=lambda c: len(self.written[c].text))
            self.temporary(longest, self.written[longest])
            code = rule.emit(self, node)
        return code

    def temporary(self, node: sympy.Basic, code: Code) -> Code:
        """A line computing the node under a fresh name; the node is that name from then on."""
        text = self.dense(code).text
        if text not in self.by_text:
            self.temporaries += 1
            name = self.fresh(f"tmp{self.temporaries}")
            self.assigned(name, text, size_text(shape_of(node)) if is_matrix(node) else "number")
            self.by_text[text] = Code(name)
        self.names[node] = self.by_text[text]
        return self.by_text[text]

    def line_of(self, code: Code, rows: sympy.Basic, cols: sympy.Basic) -> Code:
        """A line computing a part that is no node of its own (the first factors of a long
        product) under a fresh name."""
        if code.text in self.by_text:  # the same text is the same value: names are set once
            return self.by_text[code.text]
        self.temporaries += 1
        name = self.fresh(f"tmp{self.temporaries}")
        self.assigned(name, code.text, size_text((rows, 1) if code.diagonal else (rows, cols)))
        self.by_text[code.text] = Code(name, diagonal=code.diagonal)
        return self.by_text[code.text]

    def dense(self, code: Code) -> Code:
        """A diagonal matrix held as its column, made a matrix (for a sum, a trace, a
        return value: anything but a product, which scales rows or columns with it)."""
        return call(f"{self.lib}.diagflat", code) if code.diagonal else code

    def known(self, node: sympy.Basic) -> Code | None:
        if self.local is not None and node in self.local:
            return self.local[node]
        return self.names.get(node)

    def of(self, node: sympy.Basic, diagonal: bool = False) -> Code:
        """The code of a part already written (by the rules, for their children); a
        diagonal matrix as a matrix unless the rule asks for it as its column."""
        found = self.known(node)
        code = found if found is not None else self.written[node]
        return code if diagonal else self.dense(code)

    def worth_a_line(self, node: sympy.Basic, code: Code) -> bool:
        if self.local is not None or node.is_Number or (
                "(" not in code.text and "@" not in code.text and len(code.text) <= 16):
            return False  # a number, a name, x.T, -t: as cheap to write again as to name
        return self.uses[node] > 1 or len(code.text) > LINE

    def helper(self, name: str) -> str:
        self.helpers.add(name)
        return name

    def function(self, name: str) -> str:
        return f"{self.lib}.{name}"


# ---- numbers and names -------------------------------------------------------------------


@rule(sympy.Integer, children=_none)
def _integer(program: Program, node: sympy.Integer) -> Code:
    value = int(node)
    return Code(str(value)) if value >= 0 else negative(Code(str(-value)))


@rule(sympy.Rational, children=_none)
def _rational(program: Program, node: sympy.Rational) -> Code:
    p, q = abs(int(node.p)), int(node.q)
    exact = p / q
    text = repr(exact) if exact * q == p and len(repr(exact)) <= 6 else f"{p} / {q}"
    code = Code(text, ATOM if "/" not in text else PRODUCT)
    return code if node > 0 else negative(code)


@rule(sympy.Float, children=_none)
def _float(program: Program, node: sympy.Float) -> Code:
    value = float(node)
    return Code(repr(value)) if value >= 0 else negative(Code(repr(-value)))


@rule(sympy.NumberSymbol, children=_none)
def _constant(program: Program, node: sympy.Basic) -> Code:
    if node == sympy.pi:
        return Code(program.function("pi"))
    if node == sympy.E:
        return Code(program.function("e"))
    return Code(repr(float(node)))


@rule(sympy.Symbol, MatrixSymbol, children=_none)
def _name(program: Program, node: sympy.Basic) -> Code:
    raise MatcalcError(f"cannot write code for {node}: it has no value")


# ---- sums and products -------------------------------------------------------------------


@rule(sympy.Add, MatAdd)
def _sum(program: Program, node: sympy.Basic) -> Code:
    terms = sorted(node.args, key=lambda t: program.of(t).negated is not None)  # a - b
    text = ""
    for term in terms:
        code = program.of(term)
        if isinstance(term, Identity):
            code = Code(f"{program.function('eye')}({_size(program, term.rows)})")
        if not text:
            text = code.tight(SUM)
        elif code.negated is not None:
            text += f" - {code.negated.tight(SUM + 1)}"
        else:
            text += f" + {code.tight(SUM + 1)}"
    return Code(text, SUM)


def _scaled(program: Program, scalars: Sequence[sympy.Basic], body: Code | None) -> Code:
    """c₁c₂… · body / d₁d₂…, numbers first; a negative coefficient becomes one leading
    minus; a scalar with a negative power divides (2 * x.T / (1 + u))."""
    sign = 1
    parts: list[Code] = []
    below: list[Code] = []
    for scalar in scalars:
        divides = _divides(scalar) and program.known(scalar) is None
        code = _power_code(program, scalar.base, -scalar.exp) if divides else program.of(scalar)
        if code.negated is not None:
            sign, code = -sign, code.negated
        if code.text != "1":
            (below if divides else parts).append(code)
    if body is not None:
        parts.append(body)
    diagonal = body is not None and body.diagonal
    if not parts:
        result = Code("1")
    elif len(parts) == 1:
        result = parts[0]
    else:
        result = Code(" * ".join(part.tight(PRODUCT if i == 0 else PRODUCT + 1)
                                 for i, part in enumerate(parts)), PRODUCT, diagonal=diagonal)
    if below:
        result = Code(f"{result.tight(PRODUCT)} / {_joined(below).tight(PRODUCT + 1)}",
                      PRODUCT, diagonal=diagonal)
    return negative(result) if sign < 0 else result


def _matrix_factors(node: MatMul) -> Sequence[sympy.Basic]:
    """A product's parts as the code uses them: diag(v) by its v, S⁻¹ by its S."""
    return tuple(arg.args[0] if isinstance(arg, DiagMatrix) else
                 arg.arg if isinstance(arg, Inverse) and arg is not node.args[-1] else arg
                 for arg in node.args)


def rebuilt(expr: sympy.Basic,
            replacement: Callable[[sympy.Basic], sympy.Basic | None]) -> sympy.Basic:
    """The expression with each part for which ``replacement`` gives a new one replaced (the
    outermost first), in a loop over the parts from the leaves up: a deep network's
    derivative neither recurses nor hashes from the top."""
    done: dict[int, sympy.Basic] = {}
    for node in post_order(expr):
        hash(node)  # its parts are hashed already: no recursion
        new = replacement(node)
        if new is not None:
            done[id(node)] = new
            continue
        args = [done[id(a)] for a in node.args]
        changed = any(new is not old for new, old in zip(args, node.args, strict=True))
        done[id(node)] = node.func(*args) if changed else node
    return done[id(expr)]


def grouped(expr: sympy.Basic, symmetric: frozenset[sympy.Basic]) -> sympy.Basic:
    """The expression with each product holding an inverse grouped as its solves: S⁻¹ times
    the column after it is one part, S⁻¹(⋯v); a row ending in S⁻¹ for a symmetric S is
    (S⁻¹(⋯))ᵀ; an outer product is its column times its row. The same solve met twice
    (in f = uᵀS⁻¹u and in ∂f/∂u = 2uᵀS⁻¹) is then one part, computed once; and Σ⁻¹uuᵀΣ⁻¹
    is two solves of a vector, not two of a matrix."""
    def regroup(node: sympy.Basic) -> sympy.Basic | None:
        if not isinstance(node, MatMul) or not any(isinstance(a, Inverse) for a in node.args):
            return None  # (a product inside one of its factors is not regrouped)
        scalars = [a for a in node.args if not is_matrix(a)]
        matrices = [a for a in node.args if is_matrix(a)]
        if len(matrices) < 2:
            return None
        chain = _grouped_chain(matrices, symmetric)
        return MatMul(*scalars, chain) if scalars else chain

    return rebuilt(expr, regroup)


def _grouped_chain(matrices: Sequence[sympy.Basic], symmetric: frozenset[sympy.Basic]
                   ) -> sympy.Basic:
    if len(matrices) == 1:
        return matrices[0]
    inner = [shape_of(m)[1] for m in matrices[:-1]]
    if 1 in inner and shape_of(matrices[0])[0] != 1:  # (⋯v)(wᵀ⋯): an outer product
        cut = inner.index(1) + 1
        if cut < len(matrices):
            return MatMul(_grouped_chain(matrices[:cut], symmetric),
                          _grouped_chain(matrices[cut:], symmetric))
    first, rest = matrices[0], matrices[1:]
    last = matrices[-1]
    if shape_of(first)[0] == 1 and isinstance(last, Inverse) and last.arg in symmetric:
        # uᵀ⋯S⁻¹ = (S⁻¹ ⋯ᵀ u)ᵀ: the solve of a column
        return Transpose(_grouped_chain([last, *(m.T for m in reversed(matrices[:-1]))],
                                        symmetric))
    if isinstance(first, Inverse) and shape_of(matrices[-1])[1] == 1:
        return MatMul(first, _grouped_chain(rest, symmetric))  # S⁻¹(⋯v): one solve
    positions = [k for k, m in enumerate(matrices[1:], 1) if isinstance(m, Inverse)]
    if positions and shape_of(last)[1] == 1:  # uᵀ A S⁻¹ v: the solve S⁻¹v is one part
        at = positions[0]
        return MatMul(*matrices[:at], _grouped_chain(matrices[at:], symmetric))
    return MatMul(*matrices)


def shared_chains(roots: Sequence[sympy.Basic]) -> list[sympy.Basic]:
    """Long products of matrices (no vector among them: a vector's end is already the cheap
    one) split around the one factor no other such product has, its left part grouped from
    the left and its right part from the right: a deep network's Hessian has a term
    J_{k}ᵀ M_k J_k per layer, and the J's grow by one factor from term to term, so their
    groups are the same parts, each computed once (about 3L products rather than L²)."""
    chains = [node for node in parts_of(sympy.Tuple(*roots), MatMul) if _square_chain(node)]
    if len(chains) < 2:
        return list(roots)
    counts: Counter[sympy.Basic] = Counter()
    for chain in chains:
        counts.update(set(_matrices(chain)))

    def split(node: sympy.Basic) -> sympy.Basic | None:
        if not (isinstance(node, MatMul) and _square_chain(node)):
            return None
        matrices = _matrices(node)
        middle = [k for k, m in enumerate(matrices) if counts[m] == 1]
        if not middle or middle[-1] - middle[0] != len(middle) - 1:
            return None  # no factor of its own, or two runs of them
        left, right = matrices[:middle[0]], matrices[middle[-1] + 1:]
        parts = [_from_left(left)] if left else []
        parts += matrices[middle[0]:middle[-1] + 1] + ([_from_right(right)] if right else [])
        scalars = [a for a in node.args if not is_matrix(a)]
        return MatMul(*scalars, *parts)

    return [rebuilt(root, split) for root in roots]


def _matrices(node: MatMul) -> list[sympy.Basic]:
    return [a for a in node.args if is_matrix(a)]


def _square_chain(node: MatMul) -> bool:
    matrices = _matrices(node)
    return len(matrices) >= 4 and all(1 not in shape_of(m) for m in matrices)


def _from_left(matrices: Sequence[sympy.Basic]) -> sympy.Basic:
    result = matrices[0]
    for matrix in matrices[1:]:
        result = MatMul(result, matrix)
    return result


def _from_right(matrices: Sequence[sympy.Basic]) -> sympy.Basic:
    result = matrices[-1]
    for matrix in reversed(matrices[:-1]):
        result = MatMul(matrix, result)
    return result


@rule(MatMul, children=_matrix_factors)
def _matrix_product(program: Program, node: MatMul) -> Code:
    scalars = [part for a in node.args if not is_matrix(a)  # 2/(1 + u) xᵀ: 2 * x.T / (1 + u)
               for part in (a.args if isinstance(a, sympy.Mul) and program.known(a) is None
                            else (a,))]
    matrices = [a for a in node.args if is_matrix(a)]
    return _scaled(program, scalars, _chain(program, matrices) if matrices else None)


@dataclass(frozen=True)
class _Factor:
    code: Code
    rows: sympy.Basic
    cols: sympy.Basic
    ones: bool = False  # a matrix of ones: a product with it is a sum


def _chain(program: Program, matrices: Sequence[sympy.Basic]) -> Code:
    """A₁A₂⋯Aₖ: split at each inverse S⁻¹ followed by more factors, which is a solve of what
    follows; each run between them associated toward its vector end."""
    if len(matrices) > 1 and isinstance(matrices[-1], Inverse):  # M S⁻¹ = (S⁻ᵀ Mᵀ)ᵀ
        left = _transposed_code(_chain(program, matrices[:-1]))
        solved = _transposed(program, matrices[-1].arg)
        return Code(call(program.function("linalg.solve"), solved, left).text + ".T")
    runs: list[list[sympy.Basic]] = [[]]
    solves: list[sympy.Basic] = []
    for position, matrix in enumerate(matrices):
        if isinstance(matrix, Inverse) and position < len(matrices) - 1:
            solves.append(matrix.arg)
            runs.append([])
        else:
            runs[-1].append(matrix)
    result = _run(program, runs[-1])
    for solved, run in zip(reversed(solves), reversed(runs[:-1]), strict=True):
        result = _Factor(call(program.function("linalg.solve"), program.of(solved),
                              program.dense(result.code)), result.rows, result.cols)
        if run:
            result = _times(program, _run(program, run), result)
    return result.code


def _run(program: Program, matrices: Sequence[sympy.Basic]) -> _Factor:
    """A product with no inverse inside, in numeric.chain_product's order: from the right
    up to the first column, then from the left (a row in front: reverse mode's order)."""
    factors = []
    for matrix in matrices:
        rows, cols = shape_of(matrix)
        if isinstance(matrix, DiagMatrix):
            vector = program.of(matrix.args[0])
            factors.append(_Factor(Code(vector.text, vector.precedence, diagonal=True),
                                   rows, cols))
        else:
            factors.append(_Factor(program.of(matrix), rows, cols,
                                   ones=isinstance(matrix, OneMatrix)))
    inner = [f.cols for f in factors]
    if factors[0].rows != 1 and 1 in inner:
        cut = inner.index(1) + 1
        column = factors[cut - 1]
        for factor in reversed(factors[:cut - 1]):
            if program.local is None and _long(column, factor):
                column = _Factor(program.line_of(column.code, column.rows, column.cols),
                                 column.rows, column.cols)
            column = _times(program, factor, column)
        if cut == len(factors):
            return column
        rest = _run(program, [m for m in matrices[cut:]])
        return _times(program, column, rest)
    result = factors[0]
    for factor in factors[1:]:
        if program.local is None and _long(result, factor):
            result = _Factor(program.line_of(result.code, result.rows, result.cols),
                             result.rows, result.cols)  # a long product, a line at a time
        result = _times(program, result, factor)
    return result


def _long(done: _Factor, factor: _Factor) -> bool:
    """Whether a product's line would pass LINE with its size comment (``  # D×D``), and
    what is done so far is more than a name."""
    return len(done.code.text) + len(factor.code.text) + 12 > LINE and len(done.code.text) > 16


def _times(program: Program, left: _Factor, right: _Factor) -> _Factor:
    a, b = left.code, right.code
    if a.diagonal and b.diagonal:
        code = Code(f"{a.tight(PRODUCT)} * {b.tight(PRODUCT + 1)}", PRODUCT, diagonal=True)
    elif a.diagonal:  # diag(v) M scales M's rows
        code = Code(f"{a.tight(PRODUCT)} * {b.tight(PRODUCT + 1)}", PRODUCT)
    elif b.diagonal:  # M diag(v) scales its columns
        code = Code(f"{a.tight(PRODUCT)} * {b.tight(ATOM)}.T", PRODUCT)
    elif left.ones and left.rows == 1:  # 𝟏ᵀM sums M's columns
        code = call(program.function("sum"), b, "axis=0", "keepdims=True")
    elif right.ones and right.cols == 1:  # M𝟏 sums its rows
        code = call(program.function("sum"), a, "axis=1", "keepdims=True")
    else:
        code = Code(f"{a.tight(PRODUCT)} @ {b.tight(PRODUCT + 1)}", PRODUCT)
    return _Factor(code, left.rows, right.cols)


@rule(sympy.Mul, HadamardProduct)
def _product(program: Program, node: sympy.Basic) -> Code:
    """a·b/c, or A ⊙ B: the numbers first, the factors with a negative power divide."""
    numbers = [a for a in node.args if a.is_Number]
    above = [program.of(a) for a in node.args if not a.is_Number and not _divides(a)]
    below = [_power_code(program, a.base, -a.exp) for a in node.args if _divides(a)]
    signs = sum(code.negated is not None for code in [*above, *below])  # a·(−b) = −(a·b)
    above, below = _unsigned(above), _unsigned(below)
    body = _joined(above) if above else None
    if below:
        top = body.tight(PRODUCT) if body is not None else "1"
        body = Code(f"{top} / {_joined(below).tight(PRODUCT + 1)}", PRODUCT)
    result = _scaled(program, numbers, body)
    return negative(result) if signs % 2 else result


def _unsigned(codes: Sequence[Code]) -> list[Code]:
    return [code if code.negated is None else code.negated for code in codes]


def _divides(factor: sympy.Basic) -> bool:
    return (isinstance(factor, sympy.Pow) and factor.exp.is_Number and factor.exp < 0
            and not is_matrix(factor))


def _joined(codes: Sequence[Code]) -> Code:
    if len(codes) == 1:
        return codes[0]
    return Code(" * ".join(c.tight(PRODUCT if i == 0 else PRODUCT + 1)
                           for i, c in enumerate(codes)), PRODUCT)


@rule(sympy.Pow)
def _power(program: Program, node: sympy.Pow) -> Code:
    base, exponent = node.base, node.exp
    if isinstance(base, Norm) and exponent == 2:  # ‖u‖² = Σ uᵢ²
        return call(program.function("vdot"), program.of(base.arg), program.of(base.arg))
    if exponent.is_Number and exponent < 0:
        return Code(f"1 / {_power_code(program, base, -exponent).tight(PRODUCT + 1)}", PRODUCT)
    return _power_code(program, base, exponent)


def _power_code(program: Program, base: sympy.Basic, exponent: sympy.Basic) -> Code:
    """base**exponent for a positive exponent (a square root by its function)."""
    code = program.of(base)
    if exponent == 1:
        return code
    if exponent == sympy.S.Half:
        return call(program.function("sqrt"), code)
    if exponent == sympy.Rational(1, 3):
        return call(program.function("cbrt"), code)  # the real cube root
    if exponent.is_Rational and not exponent.is_Integer and exponent.q % 2 == 1:
        # an odd root is real: sign(b)^p |b|^(p/q)
        sign = f"{call(program.function('sign'), code).tight(POWER + 1)}**{exponent.p} * " \
            if exponent.p % 2 else ""
        magnitude = call(program.function("abs"), code)
        return Code(f"{sign}{magnitude.tight(POWER + 1)}**{program.of(exponent).tight(POWER)}",
                    PRODUCT if sign else POWER)
    return Code(f"{code.tight(POWER + 1)}**{program.of(exponent).tight(POWER)}", POWER)


def _pow_children(node: sympy.Pow) -> Sequence[sympy.Basic]:
    if isinstance(node.base, Norm) and node.exp == 2:
        return (node.base.arg,)
    return (node.base, abs(node.exp) if node.exp.is_Number else node.exp)


RULES[sympy.Pow] = EmitRule(_pow_children, _power)


def _product_children(node: sympy.Basic) -> Sequence[sympy.Basic]:
    return tuple(child for a in node.args
                 for child in ((a.base, -a.exp) if _divides(a) else (a,)))


RULES[sympy.Mul] = RULES[HadamardProduct] = EmitRule(_product_children, _product)


# ---- matrices ----------------------------------------------------------------------------


@rule(Transpose, children=_arg)
def _transpose(program: Program, node: Transpose) -> Code:
    return _transposed(program, node.arg)


def _transposed_code(code: Code) -> Code:
    if code.precedence == ATOM and code.text.endswith(".T"):  # (Mᵀ)ᵀ = M
        return Code(code.text[:-2], ATOM if code.text[:-2].isidentifier() else POWER)
    return Code(f"{code.tight(ATOM)}.T")


def _transposed(program: Program, matrix: sympy.Basic) -> Code:
    """Mᵀ: M itself for diag(v) and for a matrix declared symmetric."""
    code = program.of(matrix, diagonal=True)
    if code.diagonal or matrix in program.symmetric:
        return code
    return Code(f"{code.tight(ATOM)}.T")


@rule(Inverse, children=_arg)
def _inverse(program: Program, node: Inverse) -> Code:
    return call(program.function("linalg.inv"), program.of(node.arg))


@rule(MatPow, children=lambda node: (node.base,))
def _matrix_power(program: Program, node: MatPow) -> Code:
    exponent = int(node.exp)
    base = program.of(node.base)
    if exponent == -1:
        return call(program.function("linalg.inv"), base)
    return call(program.function("linalg.matrix_power"), base, str(exponent))


def _size(program: Program, dim: int | sympy.Expr) -> str:
    return program.code(as_dimension(dim)).text


@rule(Identity, children=_none)
def _identity(program: Program, node: Identity) -> Code:
    return call(program.function("eye"), _size(program, node.rows))


@rule(ZeroMatrix, children=_none)
def _zeros(program: Program, node: ZeroMatrix) -> Code:
    return call(program.function("zeros"),
                f"({_size(program, node.rows)}, {_size(program, node.cols)})")


@rule(OneMatrix, children=_none)
def _ones(program: Program, node: OneMatrix) -> Code:
    return call(program.function("ones"),
                f"({_size(program, node.rows)}, {_size(program, node.cols)})")


def _trace_children(node: Trace) -> Sequence[sympy.Basic]:
    split = _trace_split(node)
    return (node.arg,) if split is None else split


def _trace_split(node: Trace) -> tuple[sympy.Basic, sympy.Basic] | None:
    """tr(PQ) = Σ P ⊙ Qᵀ: (P, Q) for a product of two or more matrices without a number."""
    arg = node.arg
    if not isinstance(arg, MatMul) or not all(is_matrix(a) for a in arg.args):
        return None
    if len(arg.args) < 2 or any(isinstance(a, DiagMatrix | Inverse) for a in arg.args):
        return None
    head = arg.args[:-1]
    return (head[0] if len(head) == 1 else MatMul(*head), arg.args[-1])


@rule(Trace, children=_trace_children)
def _trace(program: Program, node: Trace) -> Code:
    split = _trace_split(node)
    if split is None:
        return call(program.function("trace"), program.of(node.arg))
    left, right = (program.of(part) for part in split)
    return call(program.function("sum"), Code(
        f"{left.tight(PRODUCT)} * {right.tight(ATOM)}.T", PRODUCT))


@rule(Determinant, children=_arg)
def _determinant(program: Program, node: Determinant) -> Code:
    return call(program.function("linalg.det"), program.of(node.arg))


@rule(Norm, children=_arg)
def _norm(program: Program, node: Norm) -> Code:
    return call(program.function("linalg.norm"), program.of(node.arg))


def _summed(node: Scalar) -> sympy.Basic | None:
    """v in 𝟏ᵀv, a sum of entries, or None."""
    matrix = node.matrix
    if isinstance(matrix, MatMul) and len(matrix.args) == 2 and isinstance(
            matrix.args[0], OneMatrix) and shape_of(matrix.args[1])[1] == 1:
        return matrix.args[1]
    return None


@rule(Scalar, children=lambda node: (_summed(node) or node.matrix,))
def _scalar(program: Program, node: Scalar) -> Code:
    if not is_matrix(node.matrix):  # a number already (a Taylor term's coefficient)
        return program.of(node.matrix)
    summed = _summed(node)
    if summed is not None:
        return call(program.function("sum"), program.of(summed))
    return Code(f"{program.of(node.matrix).tight(ATOM)}[0, 0]")


@rule(KroneckerProduct)
def _kronecker(program: Program, node: KroneckerProduct) -> Code:
    result = program.of(node.args[0])
    for arg in node.args[1:]:
        result = call(program.function("kron"), result, program.of(arg))
    return result


@rule(Commutation, children=_none)
def _commutation(program: Program, node: Commutation) -> Code:
    return call(program.helper("_commutation"), _size(program, node.args[0]),
                _size(program, node.args[1]))


@rule(Vec, children=_arg)
def _vec(program: Program, node: Vec) -> Code:
    return call(program.function("reshape"), f"{program.of(node.arg).tight(ATOM)}.T", "(-1, 1)")


@rule(UnitVector, children=lambda node: (node.index,))
def _unit(program: Program, node: UnitVector) -> Code:
    index = program.of(node.index)
    return Code(f"{program.function('eye')}({_size(program, node.args[1])})"
                f"[:, [{index.tight(SUM + 1)} - 1]]")


@rule(Softmax, children=_arg)
def _softmax(program: Program, node: Softmax) -> Code:
    by_rows = node.shape[1] != 1  # of a matrix: row by row
    return call(program.helper("_row_softmax" if by_rows else "_softmax"),
                program.of(node.arg))


@rule(LogSumExp, children=_arg)
def _logsumexp(program: Program, node: LogSumExp) -> Code:
    return call(program.helper("_logsumexp"), program.of(node.arg))


@rule(DiagMatrix, children=lambda node: (node.args[0],))
def _diag(program: Program, node: DiagMatrix) -> Code:
    inner = program.of(node.args[0])
    return Code(inner.text, inner.precedence, diagonal=True)


# ---- functions ---------------------------------------------------------------------------


def _entrywise_children(node: ElementwiseApplyFunction) -> Sequence[sympy.Basic]:
    return (_innermost(node)[1],)


def _innermost(node: ElementwiseApplyFunction) -> tuple[sympy.Basic, sympy.Basic]:
    """f(g(h(a))) applied entry by entry, as one function of a: (its body in the entry
    variable, a). Composing them lets log(1 + eᵗ) be seen whole (and written logaddexp)."""
    (variable,) = node.function.variables
    body = node.function.expr
    inner = node.expr
    while isinstance(inner, ElementwiseApplyFunction):
        (other,) = inner.function.variables
        body = body.xreplace({variable: inner.function.expr.xreplace({other: variable})})
        inner = inner.expr
    return body, inner


@rule(ElementwiseApplyFunction, children=_entrywise_children)
def _entrywise(program: Program, node: ElementwiseApplyFunction) -> Code:
    """f applied entry by entry: its body with the variable standing for the argument's code,
    and any g(variable) already computed as g(argument) under a name read from that name."""
    body, argument = _innermost(node)
    (variable,) = node.function.variables
    if program.local is None:
        _precompute_repeated(program, body, variable, argument)
    local: dict[sympy.Basic, Code] = {
        kind(variable): code for (kind, applied_to), code in program.applied.items()
        if applied_to == argument}
    left = body.xreplace({known: sympy.Dummy() for known in local}) if local else body
    argument_code = program.of(argument)
    if _count_in(left, variable) > 1 and not argument_code.text.isidentifier():
        argument_code = program.temporary(argument, argument_code)
    local[variable] = argument_code
    code = _written_with(program, body, local)
    if not body.has(variable):  # a constant function: the constant in every entry
        return call(program.function("full"), f"{argument_code.tight(ATOM)}.shape", code)
    return code


def _precompute_repeated(program: Program, body: sympy.Basic, variable: sympy.Basic,
                         argument: sympy.Basic) -> None:
    """A function of the entry used twice in the body, σ(t) in (1 − σ(t)) σ(t), computed
    once over the whole argument on a line of its own, as a hand-written body would."""
    for part, whole in _entry_functions(body, variable, argument):
        kind = type(part)
        if (kind, argument) in program.applied:
            continue
        known = program.known(whole)
        if known is not None:
            program.applied[(kind, argument)] = known
        elif _count_in(body, part) > 1:
            program.applied[(kind, argument)] = program.temporary(whole, program.code(whole))


def _entry_functions(body: sympy.Basic, variable: sympy.Basic, argument: sympy.Basic
                     ) -> list[tuple[sympy.Basic, ElementwiseApplyFunction]]:
    """Each g(t) in a body of the entry t, with g applied to the whole argument."""
    parts = {part for part in sympy.preorder_traversal(body)
             if type(part) in functions.BY_KIND and part.args == (variable,)}
    return [(part, ElementwiseApplyFunction(sympy.Lambda(variable, part), argument))
            for part in sorted(parts, key=sympy.default_sort_key)]


def _count_in(expr: sympy.Basic, variable: sympy.Basic) -> int:
    if expr == variable:
        return 1
    return sum(_count_in(a, variable) for a in expr.args)


def _written_with(program: Program, body: sympy.Basic, local: dict[sympy.Basic, Code]) -> Code:
    """The code of a function's body with its variable (and known parts) bound: written
    inline (a body is small), with its own memory, never sharing names with the outside."""
    saved = (program.local, program.uses)
    program.local, program.uses = local, Counter()
    try:
        return program.code(body)
    finally:
        program.local, program.uses = saved


def stable_form(node: sympy.Basic) -> tuple[str, sympy.Basic] | None:
    """The stable form of a log, applied to a number or entry by entry, or None."""
    if isinstance(node, ElementwiseApplyFunction):
        body, argument = _innermost(node)
        found = _stable_form(body)
        return None if found is None else (found[0], argument)
    return _stable_form(node)


def _stable_form(node: sympy.Basic) -> tuple[str, sympy.Basic] | None:
    """log(1 + eᵘ) → ("softplus", u); log σ(u) → ("log sigmoid", u); log(1 − σ(u)) →
    ("log one minus sigmoid", u); log det X → ("log det", X): forms written stably."""
    if not isinstance(node, sympy.log):
        return None
    (arg,) = node.args
    if isinstance(arg, Determinant):
        return ("log det", arg.arg)
    if isinstance(arg, functions.sigmoid):
        return ("log sigmoid", arg.args[0])
    if isinstance(arg, sympy.Add) and len(arg.args) == 2 and sympy.S.One in arg.args:
        (other,) = [a for a in arg.args if a != sympy.S.One]
        if isinstance(other, sympy.exp):
            return ("softplus", other.args[0])
        if (isinstance(other, sympy.Mul) and len(other.args) == 2
                and sympy.S.NegativeOne in other.args):
            (inner,) = [a for a in other.args if a != sympy.S.NegativeOne]
            if isinstance(inner, functions.sigmoid):
                return ("log one minus sigmoid", inner.args[0])
    return None


def _function_children(node: sympy.Function) -> Sequence[sympy.Basic]:
    stable = _stable_form(node)
    return tuple(node.args) if stable is None else (stable[1],)


@rule(sympy.Function, children=_function_children)
def _function(program: Program, node: sympy.Function) -> Code:
    stable = _stable_form(node)
    if stable is not None:
        form, part = stable
        code, logaddexp = program.of(part), program.function("logaddexp")
        if form == "log det":
            return call(program.helper("_logdet"), code)
        if form == "softplus":
            return call(logaddexp, "0", code)
        if form == "log sigmoid":
            return negative(call(logaddexp, "0", negative(code)))
        return negative(call(logaddexp, "0", code))  # log(1 − σ(u)) = −softplus(u)
    record = functions.of_expression(node)
    if record is None:
        raise MatcalcError(f"cannot write code for the function {type(node).__name__}",
                           hint="only the functions in matcalc's table have code")
    code = program.of(node.args[0])
    template = record.code.replace("np.", program.lib + ".")
    if template.count("{}") > 1 and not code.text.isidentifier():
        code = program.temporary(node.args[0], code) if program.local is None else code
    whole = template.count("{}") == 1 and template.endswith("({})")
    text = template.replace("{}", code.text if whole else code.tight(ATOM))
    return Code(text, ATOM if _one_call(template) else PRODUCT)


def _one_call(text: str) -> bool:
    """Whether the text is a single call, f(…), whose brackets close at its end."""
    head, bracket, _ = text.partition("(")
    if not bracket or not head.replace(".", "").isidentifier():
        return False
    depth = 0
    for position, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        if depth == 0 and char == ")":
            return position == len(text) - 1
    return False


__all__ = ["HELPERS", "Code", "Program", "grouped", "rebuilt", "shared_chains", "size_text",
           "stable_form"]
