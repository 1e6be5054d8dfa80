"""Data only: what a problem says and what a derivation found.

No parsing, no calculus, no printing happens here. ``language/`` builds a Problem,
``engine/`` builds Derivations from it, ``check.py`` adds Check records, ``render/`` reads
them. Every record is frozen: a stage that wants a changed record makes a new one with
``dataclasses.replace``. Imports sympy, ``matcalc.errors`` and ``matcalc.objects`` only;
the convenience methods at the bottom import later layers inside the method.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

import sympy

from matcalc.errors import MatcalcError, Span
from matcalc.objects import Entry, is_matrix, parts_of, shape_of

if TYPE_CHECKING:
    import numpy


@dataclass(frozen=True)
class Shape:
    """Sizes of each axis: (1, 1) is a scalar, (E, 1) a column vector, (E, D) a matrix."""

    dims: tuple[sympy.Expr, ...]

    @property
    def rows(self) -> sympy.Expr:
        return self.dims[0]

    @property
    def cols(self) -> sympy.Expr:
        return self.dims[1]

    @property
    def is_scalar(self) -> bool:
        return all(d == 1 for d in self.dims)

    def then(self, other: Shape, span: Span | None = None) -> Shape:
        """The shape of the product (self)(other); an error naming both when they don't meet."""
        if self.cols != other.rows:
            raise MatcalcError(
                f"shapes don't multiply: {self} times {other} "
                f"({self.cols} columns against {other.rows} rows)",
                span,
            )
        return Shape((self.rows, other.cols))

    def __str__(self) -> str:
        return "×".join(str(d) for d in self.dims)

    # A shape behaves as the tuple of its sizes: len, indexing, iteration, == (1, D).
    def __len__(self) -> int:
        return len(self.dims)

    def __getitem__(self, index: int) -> sympy.Expr:
        return self.dims[index]

    def __iter__(self) -> Iterator[sympy.Expr]:
        return iter(self.dims)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Shape):
            return self.dims == other.dims
        if isinstance(other, tuple):
            return self.dims == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.dims)


class Property(enum.Enum):
    """What a declaration may say of a variable besides its size."""

    SYMMETRIC = "symmetric"
    INVERTIBLE = "invertible"
    DIAGONAL = "diagonal"
    ORTHOGONAL = "orthogonal"
    POSITIVE_DEFINITE = "positive definite"
    CONSTANT = "constant"
    BINARY = "binary"  # y ∈ {0,1}^K: entries 0 or 1, so no derivative by it
    SUMS_TO_ONE = "sums to one"  # 𝟏ᵀy = 1: a probability vector
    ONE_HOT = "one-hot"  # a unit vector e_k: binary, and sums to one


# What a property says besides itself: the engine uses the implied ones (a diagonal S is its
# own transpose), the echo shows only what was declared ("positive definite").
IMPLIED: dict[Property, frozenset[Property]] = {
    Property.POSITIVE_DEFINITE: frozenset({Property.SYMMETRIC, Property.INVERTIBLE}),
    Property.ORTHOGONAL: frozenset({Property.INVERTIBLE}),
    Property.DIAGONAL: frozenset({Property.SYMMETRIC}),
    Property.ONE_HOT: frozenset({Property.BINARY, Property.SUMS_TO_ONE}),
}


def with_implied(properties: frozenset[Property]) -> frozenset[Property]:
    return properties.union(*(IMPLIED.get(p, frozenset()) for p in properties))


@dataclass(frozen=True)
class Declaration:
    """``x, mu in R^D`` · ``S in R^{D x D}, symmetric``: one record per name."""

    name: str
    symbol: sympy.Basic  # MatrixSymbol for vectors and matrices, Symbol for scalars
    shape: Shape
    properties: frozenset[Property]
    span: Span

    def sized_axes(self) -> list[tuple[int, sympy.Symbol, int]]:
        """(axis, size, k) for each axis of its array whose length is a named size to the
        power k: x ∈ ℝ^D, a 1-D array, gives [(0, D, 1)]; A ∈ ℝ^{E×D} gives
        [(0, E, 1), (1, D, 1)]; v ∈ ℝ^{D²} gives [(0, D, 2)] (D is the k-th root)."""
        if self.shape.is_scalar:
            return []
        dims = self.shape.dims[:1] if self.shape.dims[1:] == (1,) else self.shape.dims
        found: list[tuple[int, sympy.Symbol, int]] = []
        for axis, dim in enumerate(dims):
            if isinstance(dim, sympy.Symbol):
                found.append((axis, dim, 1))
            elif isinstance(dim, sympy.Pow) and isinstance(dim.base, sympy.Symbol) and \
                    dim.exp.is_Integer:
                found.append((axis, dim.base, int(dim.exp)))
        return sorted(found, key=lambda item: item[2])  # a plain D before D² says D


@dataclass(frozen=True)
class Definition:
    """``z = g(y) = y^T S^{-1} y``: the name, the function name if given, the expression."""

    name: str
    symbol: sympy.Basic  # what stands for this intermediate in the expressions that use it
    function: str | None  # "g", when the problem names the function
    arguments: tuple[str, ...]  # "(y)" as written: documentation of what it depends on
    expr: sympy.Basic  # in the problem's names, as the user wrote it (unevaluated)
    shape: Shape
    span: Span
    introduced: bool = False  # named by the engine (u = Ax − b), not written by the user


@dataclass(frozen=True)
class Target:
    """``find df/dx``: the derivative of a defined name with respect to another name; also
    a second derivative (``wrt2``) and a Taylor polynomial of f in ``wrt`` at ``at``."""

    of: str
    wrt: str
    span: Span | None
    implied: bool = False  # chosen by the tool because the problem has no ``find`` line
    wrt2: str | None = None  # the second variable of a second derivative (d²f/dxdy: y)
    order: int = 1  # 2 for d²f/dx² and d²f/dxdy; a Taylor polynomial's degree
    at: str | None = None  # the point of a Taylor polynomial (T₂f at x0)


@dataclass(frozen=True)
class Problem:
    """One problem of a file: its declarations, definitions and targets."""

    title: str | None
    declarations: tuple[Declaration, ...]
    definitions: tuple[Definition, ...]
    targets: tuple[Target, ...]
    source: str = ""
    path: str = "<input>"
    span: Span | None = None
    # each sum or product as written, for printing: (it, its terms or factors in order)
    written_orders: tuple[tuple[sympy.Basic, tuple[sympy.Basic, ...]], ...] = ()

    def declaration(self, name: str) -> Declaration | None:
        return self._declared.get(name)

    def definition(self, name: str) -> Definition | None:
        return self._defined.get(name)

    def declared_with(self, property_: Property) -> frozenset[sympy.Basic]:
        """The variables declared with a property (symmetric, orthogonal, …)."""
        return frozenset(d.symbol for d in self.declarations if property_ in d.properties)

    @cached_property
    def _declared(self) -> dict[str, Declaration]:
        """Lookups by name in constant time (a 128-layer network asks thousands of times);
        the first of a name, as a search would find it."""
        return {d.name: d for d in reversed(self.declarations)}

    @cached_property
    def _defined(self) -> dict[str, Definition]:
        return {d.name: d for d in reversed(self.definitions)}

    def names_of(self, symbols: set[sympy.Basic]) -> list[str]:
        """The names standing for these symbols, definitions first, in the problem's order."""
        found = sorted(item for s in symbols for item in self._named.get(s, ()))
        return [name for _, name in found]

    @cached_property
    def _named(self) -> dict[sympy.Basic, list[tuple[int, str]]]:
        named: dict[sympy.Basic, list[tuple[int, str]]] = {}
        items: list[Definition | Declaration] = [*self.definitions, *self.declarations]
        for index, item in enumerate(items):
            named.setdefault(item.symbol, []).append((index, item.name))
        return named

    def substituted(self, expr: sympy.Basic, keep: sympy.Basic | None = None) -> sympy.Basic:
        """The expression in the declared variables: intermediates replaced by their
        definitions until none is left (they are acyclic), except ``keep``."""
        definitions = {d.symbol: d.expr for d in self.definitions if d.symbol != keep}
        resolved: dict[sympy.Basic, sympy.Basic] = {}

        def resolve(symbol: sympy.Basic) -> sympy.Basic:
            """Each definition is written out once, its own intermediates first, so a
            chain of n definitions costs n rebuilds, not n²; a loop with a stack, not
            recursion, so that a chain of hundreds of definitions fits Python's stack."""
            stack = [symbol]
            while stack:
                current = stack[-1]
                if current in resolved:
                    stack.pop()
                    continue
                body = definitions[current]
                uses = _defined_atoms(body, definitions)
                waiting = [s for s in uses if s not in resolved]
                if waiting:
                    stack.extend(waiting)
                    continue
                inner = {s: resolved[s] for s in uses}
                resolved[current] = body.xreplace(inner) if inner else body
                stack.pop()
            return resolved[symbol]

        inner = {s: resolve(s) for s in _defined_atoms(expr, definitions)}
        return expr.xreplace(inner) if inner else expr

    def needed(self, expr: sympy.Basic) -> tuple[Definition, ...]:
        """The intermediates an expression uses, directly or through others, each after
        the ones it uses: the program that computes it, in order."""
        definitions = {d.symbol: d for d in self.definitions}
        bodies = {symbol: d.expr for symbol, d in definitions.items()}
        order: list[Definition] = []
        seen: set[sympy.Basic] = set()
        stack = [(symbol, False) for symbol in _defined_atoms(expr, bodies)]
        while stack:
            symbol, expanded = stack.pop()
            if expanded:
                order.append(definitions[symbol])
                continue
            if symbol in seen:
                continue
            seen.add(symbol)
            stack.append((symbol, True))
            stack.extend((s, False) for s in _defined_atoms(bodies[symbol], bodies)
                         if s not in seen)
        return tuple(order)


def printed_size(expr: sympy.Basic) -> int:
    """How many symbols an expression has when printed as a tree (shared parts counted each
    time they appear), counted over its DAG in linear time."""
    sizes: dict[sympy.Basic, int] = {}
    stack = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        if node in sizes:
            continue
        if ready or not node.args:
            sizes[node] = 1 + sum(sizes[a] for a in node.args)
        else:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if a not in sizes)
    return sizes[expr]


def _defined_atoms(expr: sympy.Basic, definitions: dict[sympy.Basic, sympy.Basic]
                   ) -> set[sympy.Basic]:
    """The intermediates an expression names directly."""
    if expr in definitions:
        return {expr}
    return {a for a in parts_of(expr, (sympy.Symbol, sympy.MatrixSymbol)) if a in definitions}


@dataclass(frozen=True)
class Math:
    """A piece of mathematics inside a sentence; each renderer prints it its own way."""

    expr: Any  # a sympy expression, or a Shape (printed as ℝ^{E×D})


Sentence = tuple["str | Math", ...]


@dataclass(frozen=True)
class Taylor:
    """T_k f at a (MML 5.8): f(a) + ∂f/∂x(a) (x − a) [+ ½(x − a)ᵀ H(a) (x − a)], each term a
    number, from the derivatives of f evaluated at the point a."""

    point: sympy.Basic  # a, declared in the variable's space
    value: sympy.Basic  # f(a)
    slope: sympy.Basic  # ∂f/∂x at a: a row (numerator layout), or a number
    hessian: sympy.Basic | None  # H(a), for order 2
    terms: tuple[sympy.Basic, ...]  # the polynomial, term by term
    second: Derivation | None = None  # the Hessian's derivation, for order 2


@dataclass(frozen=True)
class Linear:
    """c · P (H ⊙ (L dX R)) Q, or with dXᵀ when ``transposed``: a term of a matrix
    differential dF (Magnus–Neudecker). ``None`` stands for an identity factor; P and Q
    only around an entrywise product."""

    coefficient: sympy.Expr
    left: sympy.Basic | None
    transposed: bool
    right: sympy.Basic | None
    hadamard: sympy.Basic | None = None
    outer_left: sympy.Basic | None = None  # P
    outer_right: sympy.Basic | None = None  # Q

    @property
    def surrounded(self) -> bool:
        return self.outer_left is not None or self.outer_right is not None


@dataclass(frozen=True)
class Outer:
    """c · A · tr(C dX): a fixed matrix A (absent when F is a scalar) times a scalar
    differential."""

    coefficient: sympy.Expr
    matrix: sympy.Basic | None
    trace_with: sympy.Basic  # C, so that the scalar part is tr(C dX)


@dataclass(frozen=True)
class RowSoftmaxed:
    """c · P' J_S(L dX R) Q', or with dXᵀ when ``transposed``: the differential of
    S = softmax(U) taken row by row (attention), J_S(Z) = S ⊙ (Z − ((S ⊙ Z)𝟏)𝟏ᵀ), applied
    to dU = L dX R; ``None`` stands for an identity factor."""

    coefficient: sympy.Expr
    softmax: sympy.Basic  # S, the row-wise softmax
    left: sympy.Basic | None
    transposed: bool
    right: sympy.Basic | None
    outer_left: sympy.Basic | None = None  # P'
    outer_right: sympy.Basic | None = None  # Q'
    flipped: bool = False  # the whole term transposed: (P' J_S(L dX R) Q')ᵀ


Term = Linear | Outer | RowSoftmaxed
Terms = tuple[Term, ...]  # dF as a sum of terms linear in dX


@dataclass(frozen=True)
class TensorViews:
    """A derivative with respect to (or of) a matrix, in every view a textbook uses."""

    differential: sympy.Basic  # dF written with dX
    index: sympy.Basic | None  # ∂F_ij/∂X_kl with Kronecker deltas (Entry and Delta
    # objects); None where it would need a sum (a row-wise softmax inside a product)
    vec: sympy.Basic  # ∂vec F/∂vec X in closed form (Kronecker products)
    vec_shape: Shape  # (rows F · cols F) × (rows X · cols X)
    tensor: Shape  # (rows F, cols F, rows X, cols X) without axes of length one
    of_entry: sympy.Basic  # F_ij (or f for a scalar), for the index formula's left side
    wrt_entry: sympy.Basic  # X_kl

    @property
    def letters(self) -> list[sympy.Basic]:
        """The free index letters of ∂F_ij/∂X_kl, in the order of the tensor's axes."""
        sides = [side for side in (self.of_entry, self.wrt_entry) if isinstance(side, Entry)]
        return [i for side in sides for i in side.args[1:] if not i.is_Number]


@dataclass(frozen=True)
class Explicit:
    """The entries of a small case (--dims M=2,N=3): the tensor slice by slice, and the
    vectorized Jacobian, as sympy matrices of named entries (R_11, x_2, ...)."""

    sizes: tuple[tuple[str, int], ...]
    slices: tuple[tuple[tuple[int, ...], sympy.Basic], ...]  # (k, l) (from 1) → ∂F/∂X_kl
    vec: sympy.Basic  # ∂vec F/∂vec X, (rows F · cols F) × (rows X · cols X)


@dataclass(frozen=True, kw_only=True)
class Step:
    """One partial derivative ∂expr/∂wrt = value ∈ ℝ^shape, and the rule that gave it.

    Concrete rules subclass this in ``engine/rules.py``; a renderer needs only these
    fields, ``name`` and ``explain()``, so it never imports the engine.
    """

    name: ClassVar[str] = "step"
    formula: ClassVar[str] = ""
    expr: sympy.Basic  # what is differentiated
    wrt: sympy.Basic  # with respect to what
    value: sympy.Basic  # the partial derivative, numerator layout
    shape: Shape
    because: tuple[Sentence, ...] = ()  # properties relied on: (Math(S), " is symmetric")
    substeps: tuple[Step, ...] = ()
    views: TensorViews | None = None  # for derivatives with respect to (or of) a matrix

    def explain(self) -> Sentence:
        return ()

    @property
    def rule(self) -> str:
        """The rule's name as the output shows it: "quadratic form", "linear map plus
        constant" (a rule may title itself by what it found)."""
        return str(getattr(self, "title", self.name))


@dataclass(frozen=True)
class Link:
    """∂z/∂y inside a chain: the names as the problem writes them, and the step computing it."""

    of: str
    wrt: str
    of_symbol: sympy.Basic
    wrt_symbol: sympy.Basic
    step: Step


@dataclass(frozen=True)
class Chain:
    """One path f ← z ← y ← x: a link per edge, their product and its shape."""

    links: tuple[Link, ...]
    product: sympy.Basic  # the product of the links' values, in the problem's names
    shape: Shape
    # through matrices: the chain's differential (dF in terms of dX) the product was read
    # from, kept so that the sum over paths and the views do not compose it again
    terms: Terms | None = field(default=None, compare=False, repr=False)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.links[0].of, *(link.wrt for link in self.links))


@dataclass(frozen=True)
class Check:
    """The numeric check: the symbolic result against central finite differences."""

    passed: bool
    max_error: float
    sizes: tuple[tuple[str, int], ...]  # distinct on purpose, so a transposed result fails
    trials: int
    message: str = ""
    # what was compared, as the output says it when the check passes
    compared: str = "agrees with central finite differences"
    shows_error: bool = True  # whether max_error is a relative error to print


def transposes(of: sympy.Basic, wrt: sympy.Basic, layout: str) -> bool:
    """Whether the layout changes this derivative: the denominator layout transposes
    derivatives of scalars and vectors by vectors (∂f/∂x becomes a column); by or of a
    matrix, a derivative is the same in both (a gradient is shaped like its matrix)."""
    by_vector = is_matrix(wrt) and shape_of(wrt)[1] == 1
    return layout == "denominator" and by_vector and shape_of(of)[1] == 1


class Rendered:
    """to_text(), to_latex(), to_markdown(), to_html(), to_json(), str() and the notebook's
    views, for anything that is (or makes) a Solution; render is imported when asked for."""

    def solution(self) -> Solution:
        raise NotImplementedError

    def render(self, fmt: str, **options: Any) -> str:
        from matcalc.render import render

        return render(self.solution(), fmt, **options)

    def to_text(self, **options: Any) -> str:
        return self.render("text", **options)

    def to_latex(self, **options: Any) -> str:
        return self.render("latex", **options)

    def to_markdown(self, **options: Any) -> str:
        return self.render("markdown", **options)

    def to_html(self, **options: Any) -> str:
        return self.render("html", **options)

    def to_json(self, **options: Any) -> str:
        return self.render("json", **options)

    def to_numpy(self) -> str:
        """A Python module computing the value and every derivative with NumPy, and a
        check_<name>() that compares them with finite differences."""
        from matcalc.export import module_source

        return module_source([self.solution()], "numpy")

    def to_jax(self) -> str:
        """The same module with jax.numpy (jax is needed to run it, not to write it)."""
        from matcalc.export import module_source

        return module_source([self.solution()], "jax")

    def _repr_html_(self) -> str:  # Jupyter: the page's body, styled, in the cell
        return self.render("html", fragment=True)

    def _repr_markdown_(self) -> str:  # front ends without HTML: Markdown with math
        return self.to_markdown()

    def __str__(self) -> str:
        return self.to_text()


@dataclass(frozen=True)
class Derivation(Rendered):
    """df/dx: every chain, their sum written in the declared variables, and its checks."""

    target: Target
    layout: str  # "numerator" (MML, the default) or "denominator"
    of_symbol: sympy.Basic
    wrt_symbol: sympy.Basic
    chains: tuple[Chain, ...]
    unsimplified: sympy.Basic  # the sum of the chain products, substituted back
    result: sympy.Basic  # simplified, in the requested layout
    shape: Shape  # of the result as displayed
    named_result: sympy.Basic | None = None  # the same in the problem's own names (ŷ, h)
    remarks: tuple[Sentence, ...] = ()
    views: TensorViews | None = None  # when a matrix is involved: index and vec forms
    explicit: Explicit | None = None  # entries of a small case, when asked for
    function: sympy.Basic = sympy.S.Zero  # what is differentiated, in declared variables
    problem: Problem | None = None
    checked: Check | None = None  # not named `check`: that is the method below
    gradient: Derivation | None = None  # of a second derivative: the first, its gradient
    taylor: Taylor | None = None  # a Taylor polynomial's terms

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(link.step for chain in self.chains for link in chain.links)

    def evaluate(self, dims: Mapping[str, Any], values: Mapping[str, Any] | None = None
                 ) -> numpy.ndarray:
        """The derivative as a numpy array of shape out_shape + in_shape (numeric contract).
        ``evaluate(values)`` reads the sizes from the arrays (a vector as a 1-D array);
        ``evaluate(dims, values)`` takes them by name, e.g. {"D": 3}."""
        from matcalc.check import evaluate_derivation

        if values is None:
            dims, values = {}, dims
        result: numpy.ndarray = evaluate_derivation(self, dims, values)
        return result

    def solution(self) -> Solution:
        assert self.problem is not None
        return Solution(self.problem, (self,))

    def lambdify(self, library: str = "numpy") -> Any:
        """The derivative as a Python function of the declared variables (a mapping or
        keyword arguments by declared name, as ``evaluate`` takes them; sizes from the
        arrays) returning the array ``evaluate`` returns, computed by the code
        ``to_numpy()`` writes (``library="jax"``: by jax.numpy)."""
        from matcalc.export import lambdified

        return lambdified(self, library)

    def check(self, *, seed: int = 0) -> Check:
        """Compare the result with central finite differences at random distinct sizes."""
        from matcalc.check import check_derivation

        return self.checked or check_derivation(self, seed=seed)

    def _repr_latex_(self) -> str:
        """For front ends that show LaTeX: the result as one display equation."""
        from matcalc.render.latex import result_equation

        return result_equation(self)

    def __repr__(self) -> str:
        """One line: <Derivation df/dx: 1×D, checked>."""
        status = ("not checked" if self.checked is None else "check failed"
                  if not self.checked.passed else "checked" if self.checked.trials else
                  "not checkable")
        return f"<Derivation d{self.target.of}/d{self.target.wrt}: {self.shape}, {status}>"


@dataclass(frozen=True)
class Solution(Rendered):
    """A problem and one derivation per target."""

    problem: Problem
    derivations: tuple[Derivation, ...]

    @property
    def result(self) -> sympy.Basic:
        """The result when the problem has exactly one target."""
        if len(self.derivations) != 1:
            raise MatcalcError(
                f"this problem has {len(self.derivations)} targets; use .derivations"
            )
        return self.derivations[0].result

    @property
    def passed(self) -> bool:
        return all(d.checked is None or d.checked.passed for d in self.derivations)

    def solution(self) -> Solution:
        return self

    def _repr_latex_(self) -> str:
        """For front ends that show LaTeX: each result as a display equation."""
        from matcalc.render.latex import result_equation

        return "\n".join(result_equation(d) for d in self.derivations)

    def __repr__(self) -> str:
        title = f" {self.problem.title!r}" if self.problem.title else ""
        targets = ", ".join(repr(d) for d in self.derivations)
        return f"<Solution{title}: {targets}>"
