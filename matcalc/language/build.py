"""Statements → Problems: resolve names, split juxtaposition, build sympy expressions.

Expressions are built with sympy's unevaluated constructors (``MatMul``, ``MatAdd``,
``Transpose``, ``Inverse``) so that the user's form is kept until a recorded step changes
it, and shapes are checked as they are built. User text is never handed to ``eval``,
``sympify`` or ``parse_expr``: numbers go through ``fractions.Fraction``, names through
the tables in ``spelling.py``.

Imports sympy, matcalc.model, matcalc.objects, matcalc.errors and the transformer's records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from itertools import pairwise
from typing import Any

import sympy
from sympy import (
    Abs,
    Determinant,
    Identity,
    Inverse,
    KroneckerProduct,
    Lambda,
    MatMul,
    MatPow,
    MatrixSymbol,
    OneMatrix,
    Trace,
    Transpose,
)
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix

from matcalc.errors import MatcalcError, Span
from matcalc.functions import ENTRYWISE_BY_NAME
from matcalc.language.arithmetic import (
    Arithmetic,
    BareOne,
    UnsizedIdentity,
    UnsizedVector,
    Value,
    entrywise,
    is_constant,
    negate,
)
from matcalc.language.spelling import (
    ELEMENTWISE,
    FUNCTIONS,
    PROPERTIES,
    TRANSPOSE_MARKS,
    UNSUPPORTED,
    WRITTEN_OTHERWISE,
)
from matcalc.language.transformer import (
    AbsOf,
    BinOp,
    Call,
    Command,
    Declare,
    Define,
    Describe,
    Differentiable,
    DotPower,
    Find,
    Font,
    Frac,
    Group,
    Header,
    InnerOf,
    Juxt,
    Name,
    Neg,
    Node,
    NormOf,
    Number,
    Ones,
    Postfix,
    Power,
    Statement,
    Subscript,
)
from matcalc.model import Declaration, Definition, Problem, Property, Shape, Target
from matcalc.objects import (
    ENTRY,
    Applied,
    AppliedVector,
    LogSumExp,
    Norm,
    Scalar,
    Softmax,
    UnitVector,
    index_symbol,
    is_matrix,
    shape_of,
)


def dimension(name: str) -> sympy.Symbol:
    """A size named in a declaration: a positive integer symbol."""
    return sympy.Symbol(name, integer=True, positive=True)


def scalar_symbol(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, real=True)


def split_problems(statements: Sequence[Statement]) -> list[tuple[Header | None, list[Statement]]]:
    """A header starts a problem; statements before the first header form one of their own."""
    groups: list[tuple[Header | None, list[Statement]]] = []
    for statement in statements:
        if isinstance(statement, Header):
            groups.append((statement, []))
        elif groups:
            groups[-1][1].append(statement)
        else:
            groups.append((None, [statement]))
    return [(header, body) for header, body in groups if body or header is not None]


def build_problems(statements: Sequence[Statement], *, source: str, path: str) -> list[Problem]:
    groups = split_problems(statements)
    if not groups:
        raise MatcalcError("no problem found", Span(1, 1, 1, 2),
                           hint="write declarations and definitions, e.g. 'x in R^D' and "
                                "'f = x^T x'", source=source, path=path)
    problems = []
    for header, body in groups:
        if not body:
            assert header is not None
            raise MatcalcError("this problem is empty", header.span,
                               hint="declarations and definitions go below the title")
        problems.append(ProblemBuilder(header, body, source, path).build())
    return problems


@dataclass
class ProblemBuilder:
    header: Header | None
    statements: list[Statement]
    source: str
    path: str
    dims: dict[str, sympy.Symbol] = field(default_factory=dict)
    declared: dict[str, Declaration] = field(default_factory=dict)
    defined: dict[str, Define] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # g → z for z = g(y) = ...
    arguments: dict[str, tuple[str, ...]] = field(default_factory=dict)
    symbols: dict[str, sympy.Basic] = field(default_factory=dict)  # built intermediates
    built: dict[str, Definition] = field(default_factory=dict)
    differentiable: set[str] = field(default_factory=set)
    bound: list[dict[str, Value]] = field(default_factory=list)  # arguments of a call
    written_orders: dict[sympy.Basic, tuple[sympy.Basic, ...]] = field(default_factory=dict)

    arith: Arithmetic = field(init=False)

    def __post_init__(self) -> None:
        self.arith = Arithmetic(self.text)

    # ---- the problem ----------------------------------------------------------------
    def build(self) -> Problem:
        for statement in self.statements:
            if isinstance(statement, Declare):
                self.declare(statement)
            elif isinstance(statement, Define) and statement.space is not None:
                left = statement.sides[0]  # f = tanh(z) ∈ ℝ^M declares f's size too
                stated = Name(left.span, self.left_side(left)[0])
                self.declare(Declare((stated,), statement.space, (), statement.span))
        for statement in self.statements:
            if isinstance(statement, Describe):
                self.describe(statement)
            elif isinstance(statement, Differentiable):
                self.differentiable |= {self.plain_name(n, "a function name")
                                        for n in statement.names}
            elif isinstance(statement, Define):
                self.register_definition(statement)
        if not self.defined:
            span = self.header.span if self.header else self.statements[0].span
            raise MatcalcError("this problem defines nothing to differentiate", span,
                               hint="add a definition such as 'f = x^T x'")
        for name in self.dependency_order():
            if not self.is_function(name):
                self.build_definition(name)
        targets = [t for s in self.statements if isinstance(s, Find)
                   for t in self.targets(s)]
        definitions = tuple(self.built[name] for name in self.defined if name in self.built)
        problem_span = self.header.span if self.header else self.statements[0].span
        return Problem(
            title=self.header.title if self.header else None,
            declarations=tuple(
                d for d in self.declared.values() if d.name not in self.defined),
            definitions=definitions,
            targets=tuple(targets) or (self.implied_target(),),
            source=self.source,
            path=self.path,
            span=problem_span,
            written_orders=tuple(self.written_orders.items()),
        )

    def text(self, span: Span) -> str:
        """The source text under a span, for messages ("A x is E×1")."""
        lines = self.source.splitlines()
        if span.line == span.end_line and 0 < span.line <= len(lines):
            return lines[span.line - 1][span.column - 1: span.end_column - 1].strip()
        return "this"

    # ---- declarations -----------------------------------------------------------------
    def plain_name(self, node: Node, what: str) -> str:
        if isinstance(node, Group):
            node = node.inner
        label = self.label(node)
        if label is not None:
            return label
        spelled = self.spelled(node)  # \hat{y}, W_1, \boldsymbol{W}_{1}
        if spelled is not None:
            return spelled
        if isinstance(node, Font):
            node = node.inner
        if isinstance(node, Name):
            return node.text
        raise MatcalcError(f"expected {what} here", node.span)

    def dimension_list(self, tokens: Sequence[Any], span: Span) -> list[sympy.Expr]:
        marks = {"*", "x", "\\times", "×", ","}
        texts = [str(t) for t in tokens]
        if texts and (texts[0] in marks or texts[-1] in marks or any(
                a in marks and b in marks for a, b in pairwise(texts))):
            raise MatcalcError("this size is incomplete: a dimension is missing beside '×'",
                               span, hint="write R^D for a vector or R^{m x n} for a matrix")
        sizes: list[sympy.Expr] = []
        for token in tokens:
            text = str(token)
            if token.type in {"TIMES"} or text in marks:
                continue
            if text.isdigit():
                if int(text) < 1:
                    raise MatcalcError(f"a dimension must be a positive integer, not {text}",
                                       span)
                sizes.append(sympy.Integer(int(text)))
                continue
            parts = text.split("x") if "x" in text[1:-1] else [text]
            for part in parts:
                if part.isdigit():
                    sizes.append(sympy.Integer(int(part)))
                else:
                    sizes.append(self.dims.setdefault(part, dimension(part)))
        return sizes

    def declare(self, statement: Declare) -> None:
        sizes = self.dimension_list(statement.dims, statement.span)
        if len(sizes) > 2:
            raise MatcalcError(
                f"a variable has at most two dimensions, not {len(sizes)}", statement.span,
                hint="declare vectors as R^D and matrices as R^{m x n}")
        rows, cols = [*sizes, sympy.S.One, sympy.S.One][:2]
        properties = self.properties(statement.properties, statement.span)
        for node in statement.names:
            name = self.introduced(node, "a name to declare")
            if name in self.declared:
                raise MatcalcError(f"{name} is declared twice", node.span,
                                   hint=f"the first declaration is on line "
                                        f"{self.declared[name].span.line}")
            if name == "I":
                raise MatcalcError("I is the identity matrix and cannot be declared",
                                   node.span, hint="choose another name")
            symbol: sympy.Basic = (scalar_symbol(name) if rows == 1 and cols == 1
                                   else MatrixSymbol(name, rows, cols))
            self.declared[name] = Declaration(name, symbol, Shape((rows, cols)),
                                              properties, node.span)
            self.check_properties(self.declared[name])

    def properties(self, words: Iterable[str], span: Span) -> frozenset[Property]:
        found = {Property(PROPERTIES[word]) for word in words}
        if Property.POSITIVE_DEFINITE in found:  # implies symmetric and invertible
            found |= {Property.SYMMETRIC, Property.INVERTIBLE}
        if Property.ORTHOGONAL in found:
            found |= {Property.INVERTIBLE}
        return frozenset(found)

    def check_properties(self, declaration: Declaration) -> None:
        square = {Property.SYMMETRIC, Property.INVERTIBLE, Property.DIAGONAL,
                  Property.ORTHOGONAL, Property.POSITIVE_DEFINITE}
        shape = declaration.shape
        needs_square = sorted(p.value for p in declaration.properties & square)
        if needs_square and (shape.rows != shape.cols or shape.is_scalar):
            raise MatcalcError(
                f"{declaration.name} is {shape}, so it cannot be {needs_square[0]}",
                declaration.span, hint="only square matrices are "
                                       "symmetric, invertible, diagonal or orthogonal")

    def describe(self, statement: Describe) -> None:
        for node in statement.names:
            name = self.plain_name(node, "a declared name")
            if name not in self.declared:
                raise MatcalcError(f"unknown name {name!r}", node.span,
                                   hint=f"declare it first, e.g. '{name} in R^{{D x D}}'")
            old = self.declared[name]
            extra = self.properties(statement.properties, statement.span)
            self.declared[name] = Declaration(old.name, old.symbol, old.shape,
                                              old.properties | extra, old.span)
            self.check_properties(self.declared[name])

    # ---- definitions ------------------------------------------------------------------
    def register_definition(self, statement: Define) -> None:
        *left, _ = statement.sides
        name, arguments = self.left_side(left[0])
        if name in self.defined:
            raise MatcalcError(f"{name} is defined twice", left[0].span,
                               hint=f"the first definition is on line "
                                    f"{self.defined[name].span.line}")
        for middle in left[1:]:
            function, more = self.left_side(middle)
            self.aliases[function] = name
            arguments = arguments or more
        self.defined[name] = statement
        self.arguments[name] = arguments

    def is_function(self, name: str) -> bool:
        """``s(t) = 1/(1 + exp(-t))`` with t not declared: a function, used by calling it."""
        known = set(self.declared) | set(self.defined) | set(self.aliases)
        return any(argument not in known for argument in self.arguments.get(name, ()))

    def introduced(self, node: Node, what: str) -> str:
        """A name being declared or defined, as textbooks write it: W_1, W_{1},
        \\mathbf{W}_1 and {\\boldsymbol{W}_{1}} introduce W1 (unless W is declared: W_1 is
        then its entry), \\hat{y} introduces yhat."""
        parts = numbered_parts(node.inner if isinstance(node, Group) else node)
        if parts is not None and parts[1].isdigit() and parts[0] not in self.declared:
            return "".join(parts)
        return self.plain_name(node, what)

    def left_side(self, node: Node) -> tuple[str, tuple[str, ...]]:
        if isinstance(node, Juxt) and len(node.items) == 2 and isinstance(
                node.items[1], Group):  # \\boldsymbol{f}(\\boldsymbol{z}) = …
            return (self.introduced(node.items[0], "a function name"),
                    (self.introduced(node.items[1].inner, "an argument name"),))
        if isinstance(node, Call):
            return node.name.text, tuple(self.introduced(a, "an argument name")
                                         for a in node.args)
        if isinstance(node, Name | Font | Group | Subscript | Power):
            return self.introduced(node, "a name"), ()
        first = node.items[0] if isinstance(node, Juxt) else None
        if isinstance(first, Name) and len(first.text) > 2 and first.text not in (
                self.known_names()) and self.split_name(first.text) is None:
            raise MatcalcError(f"{first.text!r} is a word, not part of a definition",
                               first.span, hint="a line holds statements only: write "
                               "'f(x) = ...' without the words before it")
        raise MatcalcError("the left side of a definition must be a name, as in 'f = ...' "
                           "or 'f(x) = ...'", node.span)

    def references(self, node: Node) -> set[str]:
        """Defined names that an expression uses (after splitting juxtaposed names)."""
        found: set[str] = set()
        stack = [node]
        while stack:  # a loop, not recursion: inputs can be deep
            leaf = stack.pop()
            spelled = self.spelled(leaf)
            if spelled is not None:  # \hat{y} uses yhat, not y
                names = [spelled]
            elif isinstance(leaf, Name):
                names = self.split_name(leaf.text) or [leaf.text]
            else:
                names = [leaf.name.text] if isinstance(leaf, Call) else []
                stack.extend(children(leaf))
            found |= {self.aliases.get(n, n) for n in names} & set(self.defined)
        return found

    def dependency_order(self) -> list[str]:
        order: list[str] = []
        state: dict[str, str] = {}

        def visit(name: str, path: list[str]) -> None:
            if state.get(name) == "done":
                return
            if state.get(name) == "active":
                cycle = [*path[path.index(name):], name]
                raise MatcalcError(
                    "cyclic definitions: " + " → ".join(cycle), self.defined[name].span,
                    hint="a definition may not depend on itself, directly or through others")
            state[name] = "active"
            for used in sorted(self.references(self.defined[name].sides[-1])):
                visit(used, [*path, name])
            state[name] = "done"
            order.append(name)

        for name in self.defined:
            visit(name, [])
        return order

    def build_definition(self, name: str) -> None:
        statement = self.defined[name]
        rhs = statement.sides[-1]
        value = self.arith.finish(self.expr(rhs), rhs.span)
        if isinstance(value, Applied) and name in self.declared:
            # z in R^E; z = t(eps, nu): the declaration gives the abstract function's size
            for argument in value.arguments:
                if shape_of(argument)[1] != 1:
                    raise MatcalcError(
                        f"{value.name} has a vector value and takes a "
                        f"{Shape(shape_of(argument))} matrix: its derivative by that matrix "
                        "would be a 4-index tensor, which abstract functions do not have yet",
                        rhs.span,
                        hint="an abstract function may take matrices when its value is a "
                             "number")
            value = AppliedVector(sympy.Symbol(value.name), self.declared[name].shape.rows,
                                  *value.arguments)
        rows, cols = shape_of(value)
        if name in self.declared:
            declared = self.declared[name]
            if declared.shape.dims != (rows, cols):
                raise MatcalcError(
                    f"{name} is declared {declared.shape} but its definition is "
                    f"{Shape((rows, cols))}", rhs.span)
            symbol = declared.symbol
        elif rows == 1 and cols == 1:
            symbol = scalar_symbol(name)
        else:
            symbol = MatrixSymbol(name, rows, cols)
        self.symbols[name] = symbol
        function = next((f for f, n in self.aliases.items() if n == name), None)
        self.built[name] = Definition(name, symbol, function, self.arguments[name], value,
                                      Shape((rows, cols)), statement.span)

    # ---- targets ----------------------------------------------------------------------
    def targets(self, statement: Find) -> list[Target]:
        return [self.target(node) for node in statement.targets]

    def target(self, node: Node) -> Target:
        of, wrt = self.derivative_names(node)
        of = self.aliases.get(of, of)
        if not wrt and of in self.defined and of in self.built:  # grad f, ∇f: its variable
            wrt = self.variable_of(of)
        if of not in self.defined:
            raise MatcalcError(f"{of!r} is not defined, so it cannot be differentiated",
                               node.span, hint="the target's numerator must be a defined "
                                               "name, as f in 'find df/dx'")
        if self.is_function(of):
            free = [a for a in self.arguments[of] if a not in self.declared]
            raise MatcalcError(
                f"{of} is a function of {', '.join(free)}, which "
                f"{'is' if len(free) == 1 else 'are'} not declared", node.span,
                hint=f"declare {free[0]} (e.g. '{free[0]} in R') to differentiate {of} "
                     f"itself, or differentiate a definition that calls {of}")
        if wrt not in self.declared and wrt not in self.defined:
            raise MatcalcError(f"unknown name {wrt!r} in the target", node.span,
                               hint=f"declare it, e.g. '{wrt} in R^D'")
        return Target(of, wrt, node.span)

    def derivative_names(self, node: Node) -> tuple[str, str]:
        wrong = MatcalcError(
            "this target is not a derivative", node.span,
            hint="write it as df/dx, d f / d x, \\frac{\\partial f}{\\partial x} or grad_x f")
        if isinstance(node, Juxt) and len(node.items) == 2 and isinstance(node.items[0], Name) \
                and node.items[0].text.startswith("grad_"):
            return self.plain_name(node.items[1], "a name"), node.items[0].text[5:]
        if isinstance(node, Juxt) and len(node.items) == 2 and node.items[0] in (
                Command(node.items[0].span, "nabla"), Name(node.items[0].span, "grad")):
            return self.plain_name(node.items[1], "a name"), ""  # ∇f: by its one variable
        if isinstance(node, Juxt) and len(node.items) == 2 and isinstance(
                node.items[0], Subscript) and node.items[0].base in (
                Command(node.items[0].base.span, "nabla"), Name(node.items[0].base.span, "grad")):
            return self.plain_name(node.items[1], "a name"), node.items[0].index  # ∇_x f
        if isinstance(node, Juxt) and isinstance(node.items[0], BinOp) and \
                node.items[0].op == "/":  # "df / d x" reads as (df / d) x: regroup
            ratio = node.items[0]
            node = BinOp(node.span, "/", ratio.left,
                         Juxt(ratio.right.span | node.span, (ratio.right, *node.items[1:])))
        if isinstance(node, BinOp) and node.op == "/":
            top, bottom = node.left, node.right
        elif isinstance(node, Frac):
            top, bottom = node.numerator, node.denominator
        else:
            raise wrong
        marked = bottom.items[-1] if isinstance(bottom, Juxt) else bottom
        if isinstance(marked, Postfix) or (isinstance(marked, Power) and exponent_mark(
                marked.exponent) == "transpose"):  # df/dxᵀ: the other layout's way
            raise MatcalcError(
                "a derivative by a transpose (df/dxᵀ) is how denominator layout writes it",
                node.span, hint="write df/dx, and add --layout denominator for gradients "
                                "as columns")
        return self.differential(top, wrong), self.differential(bottom, wrong)

    def differential(self, node: Node, wrong: MatcalcError) -> str:
        """The name in ``df``, ``d f``, ``∂f``, ``\\partial f``; also in ``dvec(F)``,
        ``\\mathrm{d}\\operatorname{vec}(F)``, as matcalc itself writes a derivative by a
        matrix (∂vec F/∂vec X is how F by X is shown)."""
        if isinstance(node, Call) and node.name.text == "dvec" and len(node.args) == 1:
            return self.plain_name(node.args[0], "a name")
        if isinstance(node, Juxt) and len(node.items) == 3 and _is_vec(node.items[1]) \
                and isinstance(node.items[2], Group):
            node = Juxt(node.span, (node.items[0], node.items[2]))
        if isinstance(node, Juxt) and len(node.items) == 2 and isinstance(node.items[1], Call) \
                and node.items[1].name.text == "vec" and len(node.items[1].args) == 1:
            node = Juxt(node.span, (node.items[0], node.items[1].args[0]))
        if isinstance(node, Juxt) and len(node.items) == 2:
            mark, name = node.items
            if isinstance(mark, Font) and mark.font in {"mathrm", "operatorname", "text"}:
                mark = mark.inner  # \mathrm{d}f, as matcalc's own LaTeX writes it
            if (isinstance(mark, Name) and mark.text == "d") or (
                    isinstance(mark, Command) and mark.text == "partial"):
                return self.plain_name(name, "a name")
        if isinstance(node, Name) and len(node.text) > 1 and node.text[0] == "d":
            rest = Name(node.span, node.text[1:])
            return self.spelled(rest) or rest.text  # dW_1 is dW1
        label = self.label(node)  # dW^{(1)}
        if label is not None and label.startswith("d") and len(label.split("^")[0]) > 1:
            return label[1:]
        raise wrong

    def implied_target(self) -> Target:
        used = {n for name in self.defined for n in self.references(self.defined[name].sides[-1])}
        outermost = [name for name in self.defined
                     if name not in used and not self.is_function(name)]
        if not outermost:
            raise MatcalcError(
                "only functions are defined (" + ", ".join(self.defined) + "), and a function "
                "is differentiated where it is called", self.statements[0].span,
                hint="add a definition that calls it, such as 'f = s(w^T x)'")
        if len(outermost) != 1:
            raise MatcalcError(
                "it is not clear what to differentiate: " + ", ".join(outermost) +
                " are all outermost definitions", self.statements[0].span,
                hint="add a line such as 'find df/dx'")
        return Target(outermost[0], self.variable_of(outermost[0]), None, implied=True)

    def variable_of(self, of: str) -> str:
        """The variable to differentiate ``of`` by when the problem does not say: the one its
        documented arguments end in, else the one declared variable it depends on, else x."""
        # Follow the documented arguments: f(z) ← z = g(y) ← y = h(x) ends in x.
        name = of
        seen = set()
        while name in self.defined and name not in seen:
            seen.add(name)
            arguments = self.arguments.get(name, ())
            if len(arguments) != 1:
                break
            name = self.aliases.get(arguments[0], arguments[0])
        if name in self.declared and name not in self.defined:
            return name
        named = {self.symbols[n]: n for n in self.built}
        free: set[sympy.Basic] = set()  # the variables reached through the definitions,
        todo, visited = [of], set()  # each definition visited once (never substituted:
        while todo:  # a residual network would double at every layer)
            name = todo.pop()
            if name not in visited:
                visited.add(name)
                for symbol in self.built[name].expr.free_symbols:
                    if symbol in named:
                        todo.append(named[symbol])
                    else:
                        free.add(symbol)
        candidates = [d.name for d in self.declared.values()
                      if d.name not in self.defined and Property.CONSTANT not in d.properties
                      and d.symbol in free]
        if not candidates:
            raise MatcalcError(f"{of} depends on no declared variable, so there is nothing to "
                               "differentiate", self.defined[of].span,
                               hint="declare the variable, e.g. 'x in R^D', and use it")
        if len(candidates) == 1:
            return candidates[0]
        if "x" in candidates:  # MML's convention: x is the variable, the rest are parameters
            return "x"
        raise MatcalcError(
            f"it is not clear which variable to differentiate {of} by: "
            + ", ".join(candidates), self.defined[of].span,
            hint=f"add a line such as 'find d{of}/d{candidates[0] if candidates else 'x'}'")

    # ---- names --------------------------------------------------------------------
    def known_names(self) -> set[str]:
        return (set(self.declared) | set(self.defined) | set(self.aliases) | set(FUNCTIONS)
                | {"I"} | (set(self.bound[-1]) if self.bound else set()))

    def split_name(self, text: str) -> list[str] | None:
        """``Ax`` → [A, x]: the run of letters as declared names, longest first."""
        known = self.known_names()
        if text in known:
            return [text]

        def split(rest: str) -> list[str] | None:
            if not rest:
                return []
            for size in range(len(rest), 0, -1):
                if rest[:size] in known:
                    tail = split(rest[size:])
                    if tail is not None:
                        return [rest[:size], *tail]
            return None

        return split(text)

    def resolve_name(self, node: Name) -> Value:
        if self.bound and node.text in self.bound[-1]:
            return self.bound[-1][node.text]
        name = self.aliases.get(node.text, node.text)
        if name in self.declared and name not in self.defined:
            return self.declared[name].symbol
        if name in self.symbols:
            return self.symbols[name]
        if name == "I":
            return UnsizedIdentity()
        if name in FUNCTIONS:
            raise MatcalcError(f"{name} needs an argument", node.span,
                               hint=f"write {name}(...)")
        if name in self.dims:  # 1/N ||y - Xw||^2: a size used as a number
            return self.dims[name]
        if name == "pi":
            return sympy.pi
        if name in self.differentiable:
            raise MatcalcError(f"{name} is a function and needs its arguments", node.span)
        base, underscore, index = node.text.partition("_")
        if base == "I" and underscore and (index.isdigit() or index in self.dims):  # I_D
            size = sympy.Integer(int(index)) if index.isdigit() else self.dims[index]
            if size.is_Integer and size < 1:
                raise MatcalcError("an identity has a positive size", node.span)
            return Identity(size)
        if base == "e" and underscore and "e" not in self.known_names() and index.isalnum():
            position = sympy.Integer(int(index)) if index.isdigit() else index_symbol(index)
            return UnsizedVector(unit=position)  # e_k, the k-th unit vector
        if (spelled := self.spelled(node)) is not None:  # W_1 is the name W1 (as printed)
            return self.resolve_name(Name(node.span, spelled))
        if underscore and index.isalnum() and (base in self.declared or base in self.symbols):
            return self.entry(self.resolve_name(Name(node.span, base)), index, node.span)
        parts = self.split_name(node.text)
        if parts is not None and len(parts) > 1:
            return self.expr(Juxt(node.span, self.split_nodes(node, parts)))
        raise MatcalcError(
            f"unknown name {node.text!r}" if len(node.text) == 1 else
            f"unknown name {node.text!r}: it is not declared and cannot be split into "
            "declared names", node.span,
            hint=f"declare it, e.g. '{node.text} in R^D', or put spaces between names")

    def number_transposed(self, text: str, span: Span) -> Value:
        """1ᵀ is the row of ones (as 𝟏ᵀ; a number would not be transposed), any other number
        transposed is an error: reading 2ᵀx as 2x would derive another problem."""
        if text == "1":
            return UnsizedVector(transposed=True)
        raise MatcalcError(f"the number {text} has no transpose", span,
                           hint="1^T is the row of ones; a scalar needs no transpose")

    def numbered(self, base: str, index: str) -> str | None:
        """W1 for W_1 when W1 is a name and W is not (W_1 is then no entry of W): names
        with digits, as textbooks write them (W_1, b_1) and as the LaTeX output prints them."""
        known = self.known_names()
        if index.isdigit() and base and base not in known and base + index in known:
            return base + index
        return None

    def spelled(self, node: Node) -> str | None:
        """The one name a node is a spelling of, other than a plain Name: \\hat{y} is yhat,
        W_1 and \\mathbf{W}_1 are W1 (when W1 is a name and W is not). Reading values and
        finding which definitions an expression uses both go through here."""
        match node:
            case Font(font=font, inner=Name(text=text)) if font in ACCENTS:
                return text + ACCENTS[font]
            case Font(font=font, inner=Font() as inner) if font not in ACCENTS:
                return self.spelled(inner)  # \\boldsymbol{\\hat{y}}
        parts = numbered_parts(node)
        return self.numbered(*parts) if parts is not None else None

    def split_nodes(self, node: Name, parts: list[str]) -> tuple[Node, ...]:
        nodes: list[Node] = []
        column = node.span.column
        for part in parts:
            nodes.append(Name(Span(node.span.line, column, node.span.line, column + len(part)),
                              part))
            column += len(part)
        return tuple(nodes)

    # ---- expressions ----------------------------------------------------------------
    def label(self, node: Node) -> str | None:
        """W^{(1)}, h^{(k)}: a name with a label in brackets, as W^(1)."""
        if isinstance(node, Power) and isinstance(node.base, Name) and isinstance(
                node.exponent, Group) and isinstance(node.exponent.inner, Name | Number):
            mark = node.exponent.inner.text
            if mark.isdigit() or isinstance(node.exponent.inner, Name):
                return f"{node.base.text}^({mark})"
        return None

    def expr(self, node: Node) -> Value:
        label = self.label(node)
        if label is not None:
            if label in self.known_names():
                return self.resolve_name(Name(node.span, label))
            assert isinstance(node, Power)
            raise MatcalcError(
                f"{label} is read as a name with a label, not as a power, and it is not "
                "declared", node.span,
                hint=f"declare it (e.g. '{label} in R^D'), or write {label.replace('(', '')[:-1]}"
                     " for a power")
        if isinstance(node, Power | Postfix | Subscript) and isinstance(node.base, Name) \
                and node.base.text not in self.known_names():
            parts = self.split_name(node.base.text)
            if parts is not None and len(parts) > 1:  # Ax^T is A xᵀ, XXᵀ is X Xᵀ
                *first, last = self.split_nodes(node.base, parts)
                return self.expr(Juxt(node.span, (*first, replace(node, base=last))))
        if isinstance(node, Power | Postfix | Subscript) and isinstance(node.base, Call) \
                and len(node.base.args) == 1 and self.is_product(node.base):
            call = node.base  # x (y)ᵀ is x yᵀ: the mark belongs to the bracket
            group = Group(call.args[0].span, call.args[0])
            return self.expr(Juxt(node.span, (call.name, replace(node, base=group))))
        match node:
            case Name():
                return self.resolve_name(node)
            case Number(text=text):
                fraction = Fraction(text)
                return sympy.Rational(fraction.numerator, fraction.denominator)
            case BinOp(op="+" | "-"):
                return self.sum(node)
            case BinOp(op="*", left=left, right=right):
                return self.arith.multiply(self.expr(left), self.expr(right), left.span, right.span)
            case BinOp(op="·", left=left, right=right):  # w · x of two vectors is wᵀx
                a, b = self.expr(left), self.expr(right)
                if is_matrix(a) and is_matrix(b) and shape_of(a) == shape_of(b) \
                        and shape_of(a)[1] == 1:
                    a = Transpose(a)
                return self.arith.multiply(a, b, left.span, right.span)
            case Power(base=Name(text="e"), exponent=exponent) if "e" not in self.known_names():
                return self.apply("exp", self.expr(exponent), exponent.span)  # e^{x}
            case BinOp(op="/", left=Juxt(items=(*first, Number(text="1") as one)), right=right):
                half = BinOp(one.span | right.span, "/", one, right)  # X 1/2 is X ½
                return self.expr(Juxt(node.span, (*first, half)))
            case BinOp(op="/", left=left, right=right):
                return self.arith.divide(self.expr(left), self.expr(right), right.span)
            case BinOp(op="⊙", left=left, right=right):
                return self.arith.hadamard(self.expr(left), self.expr(right), left.span, right.span)
            case BinOp(op="⊗", left=left, right=right):
                a, b = self.expr(left), self.expr(right)
                if not (is_matrix(a) and is_matrix(b)):
                    return self.arith.multiply(a, b, left.span, right.span)
                return KroneckerProduct(a, b)
            case Neg(arg=arg):
                return negate(self.expr(arg))
            case Juxt(items=items):
                return self.juxtaposition(list(items))
            case Call():
                return self.call(node)
            case Postfix(base=base, mark="transpose") if bare_number(base) is not None:
                return self.number_transposed(bare_number(base) or "", node.span)
            case Power(base=base, exponent=exponent) if (
                    bare_number(base) is not None and exponent_mark(exponent) == "transpose"):
                return self.number_transposed(bare_number(base) or "", node.span)
            case Power(base=base, exponent=exponent):
                return self.power(self.expr(base), exponent, base.span)
            case Subscript(base=base, index=index) if is_ones(base):  # 1_D, 𝟏_D, \mathbf{1}_D
                return self.ones(index, node.span)
            case Ones():
                return UnsizedVector()
            case Font(inner=Number(text="1")) if is_ones(node):
                return UnsizedVector()
            case Subscript(base=Name(text="e") | Font(inner=Name(text="e")), index=index) if (
                    "e" not in self.known_names()):  # e_{k}, \mathbf{e}_k
                return self.resolve_name(Name(node.span, f"e_{index}"))
            case Subscript(base=Name(text="I"), index=index) if "I" not in self.declared:
                return self.resolve_name(Name(node.span, f"I_{index}"))  # I_{D}
            case Subscript() | Font() if (spelled := self.spelled(node)) is not None:
                return self.resolve_name(Name(node.span, spelled))  # W_1, \\hat{y}
            case Subscript(base=base, index=index):
                return self.entry(self.expr(base), index, node.span)
            case Postfix(base=base, mark=mark):
                return self.arith.postfix(self.expr(base), mark, node.span)
            case Group(inner=inner):
                return self.expr(inner)
            case Frac(numerator=top, denominator=bottom):
                return self.arith.divide(self.expr(top), self.expr(bottom), bottom.span)
            case Font(inner=inner):
                return self.expr(inner)
            case NormOf(arg=arg, subscript=subscript):
                return self.norm(self.arith.finish(self.expr(arg), arg.span), subscript,
                                 node.span)
            case InnerOf(left=left, right=right):
                return self.inner(left, right, node.span)
            case DotPower(base=base, exponent=exponent):
                value = self.arith.finish(self.expr(base), base.span)
                power = self.expr(exponent)
                if is_matrix(power) or not is_constant(power):
                    raise MatcalcError("the power of each entry must be a number",
                                       exponent.span)
                return entrywise(lambda t: t ** power, value)
            case AbsOf(arg=arg):
                value = self.arith.finish(self.expr(arg), arg.span)
                rows, cols = shape_of(value)
                if is_matrix(value) and rows == cols:  # |A| is det A, as MML writes it
                    return Determinant(value)
                if is_matrix(value) and 1 in (rows, cols):
                    raise MatcalcError(
                        f"|{self.text(arg.span)}| of a vector could be its norm or its entries' "
                        "absolute values", node.span,
                        hint="write ||x|| for the norm or abs(x) for the absolute values")
                return self.apply("abs", value, node.span)
            case Command(text="sum" | "prod"):
                raise MatcalcError(f"\\{node.text} with an index is not supported", node.span,
                                   hint="write the sum with vectors: sum(x), 1_D^T x, x^T x")
            case Command(text=text):
                if text in FUNCTIONS:
                    raise MatcalcError(f"\\{text} needs an argument", node.span)
                raise MatcalcError(f"unknown command \\{text}", node.span,
                                   hint="see the problem language for the LaTeX matcalc reads")
        raise MatcalcError("this expression is not supported", node.span)

    def inner(self, left: Node, right: Node, span: Span) -> Value:
        """⟨a, b⟩ = aᵀb for two vectors (tr(AᵀB) for two matrices) of the same shape."""
        a = self.arith.finish(self.expr(left), left.span)
        b = self.arith.finish(self.expr(right), right.span)
        if shape_of(a) != shape_of(b):
            raise MatcalcError(
                f"an inner product needs two things of one shape, but {self.text(left.span)} "
                f"is {Shape(shape_of(a))} and {self.text(right.span)} is {Shape(shape_of(b))}",
                span)
        if not is_matrix(a):
            return a * b  # two scalars
        if shape_of(a)[1] == 1:
            return Scalar(Transpose(a) * b)
        return Trace(Transpose(a) * b)

    def ones(self, index: str, span: Span) -> sympy.Basic:
        if index.isdigit() and int(index) >= 1:
            return OneMatrix(sympy.Integer(int(index)), 1)
        if index in self.dims:
            return OneMatrix(self.dims[index], 1)
        raise MatcalcError(f"the size of the ones vector must be a dimension or a number, "
                           f"not {index}", span)

    def norm(self, value: sympy.Basic, subscript: str | None, span: Span) -> Value:
        """‖x‖, ‖x‖₂, ‖X‖_F; ‖x‖₁ = 𝟏ᵀ|x|; ‖x‖_p = (𝟏ᵀ|x|ᵖ)^{1/p} for a whole p ≥ 3."""
        order = (subscript or "").lstrip("\\")
        if not is_matrix(value):
            return Abs(value)
        rows, cols = shape_of(value)
        vector = cols == 1
        if order in {"", "F"} or (order == "2" and vector):
            return Norm(value)
        if not vector:
            named = {"2": "the spectral norm", "1": "the induced 1-norm",
                     "infty": "the induced ∞-norm", "*": "the nuclear norm"}
            raise MatcalcError(
                f"{named.get(order, 'the norm')} ‖·‖_{order} of a matrix is not supported",
                span, hint="matcalc differentiates the Frobenius norm ||X||_F")
        if order.isdigit() and int(order) >= 1:
            p = int(order)
            t = ENTRY
            power = Abs(t) if p == 1 else Abs(t) ** p
            total = Scalar(MatMul(OneMatrix(1, rows),
                                  ElementwiseApplyFunction(Lambda(t, power), value)))
            return total if p == 1 else sympy.Pow(total, sympy.Rational(1, p))
        if order in {"infty", "inf", "max"}:
            raise MatcalcError("the maximum norm ‖x‖_∞ is not supported", span,
                               hint="it has no derivative where two entries tie; matcalc "
                                    "differentiates ||x||_1, ||x||_2 and ||x||_p for whole p")
        raise MatcalcError(f"the norm ‖x‖_{order} is not supported", span,
                           hint="write the order as a whole number: ||x||_1, ||x||_3")

    def sum(self, node: BinOp) -> Value:
        """a + b − c + …, term by term from the left (a loop: a sum may have many terms)."""
        chain: list[BinOp] = []
        first: Node = node
        while isinstance(first, BinOp) and first.op in {"+", "-"}:
            chain.append(first)
            first = first.left
        value, span = self.expr(first), first.span
        terms = [value]
        for link in reversed(chain):
            term = self.expr(link.right)
            terms.append(term if link.op == "+" else negate(term))
            value = self.arith.add(value, terms[-1], span, link.right.span)
            span = span | link.right.span
        if isinstance(value, sympy.Add | sympy.MatAdd):
            self.remember_order(value, terms)
        return value

    def remember_order(self, value: sympy.Basic, parts: Sequence[Value]) -> None:
        """The terms of a sum or the factors of a product as written, in their order, for
        the echo (sympy keeps its own order): only when they are exactly its arguments."""
        if all(isinstance(p, sympy.Basic) for p in parts) and Counter(value.args) == Counter(
                parts):
            self.written_orders[value] = tuple(parts)

    def entry(self, vector: Value, index: str, span: Span) -> Value:
        """v_k = e_kᵀ v: the k-th entry of a vector, as a product the rules know; X_kl =
        e_kᵀ X e_l of a matrix (two indices of one character each: X_{12}, X_{ij})."""
        vector = self.arith.finish(vector, span)
        rows, cols = shape_of(vector)
        if is_matrix(vector) and rows != 1 and cols != 1:
            if len(index) != 2:
                raise MatcalcError(
                    f"an entry of the {Shape((rows, cols))} matrix {self.text(span)} needs "
                    f"two indices, not {index!r}", span, hint="write X_{12} or X_{ij}")
            row = self.unit(index[0], rows, span)
            return Scalar(MatMul(Transpose(row), vector, self.unit(index[1], cols, span)))
        if not is_matrix(vector) or cols != 1:
            raise MatcalcError(f"only a vector or a matrix has entries, but "
                               f"{self.text(span)} is {Shape((rows, cols))}", span)
        return Scalar(MatMul(Transpose(self.unit(index, rows, span)), vector))

    def unit(self, index: str, size: sympy.Expr, span: Span) -> UnitVector:
        """e_k ∈ ℝ^size, for an entry counted from 1 (k a number or a letter)."""
        position = sympy.Integer(int(index)) if index.isdigit() else index_symbol(index)
        too_far = size.is_Integer and position.is_Integer and position > size
        if position.is_Integer and (position < 1 or too_far):
            raise MatcalcError(f"entry {index} does not exist where the size is {size}",
                               span, hint="entries are counted from 1")
        unit: UnitVector = UnitVector(position, size)
        return unit

    def function_word(self, node: Node) -> str | None:
        """``sin``, ``\\sin``, ``\\operatorname{tr}``: a function applied by juxtaposition."""
        if isinstance(node, Font) and node.font in {"operatorname", "mathrm", "text"}:
            node = node.inner
        if isinstance(node, Command) and node.text in FUNCTIONS:
            return FUNCTIONS[node.text]
        if isinstance(node, Name) and node.text in FUNCTIONS and node.text not in self.declared:
            return FUNCTIONS[node.text]
        return None

    def function_head(self, node: Node) -> tuple[str, Node | None] | None:
        """A function word (``\\sin``) or a power of one (``\\sin^2``): (function, exponent)."""
        word = self.function_word(node)
        if word is not None:
            return word, None
        if isinstance(node, Power):
            word = self.function_word(node.base)
            if word is not None:
                return word, node.exponent
        return None

    def applied_function(self, node: Node) -> str | None:
        """The function a juxtaposed item is or starts with: ``\\cos``, ``cos(y)^2``."""
        while isinstance(node, Power | Subscript | Postfix):
            node = node.base
        if isinstance(node, Call):
            name = node.name.text
            return FUNCTIONS[name] if name in FUNCTIONS and name not in self.declared else None
        head = self.function_head(node)
        return head[0] if head is not None else None

    def applies_function(self, node: Node) -> bool:
        return self.applied_function(node) is not None

    def ends_argument(self, function: str, node: Node) -> bool:
        """Whether ``node`` starts a new factor after the bare argument of ``function``: a
        function of the same kind does (\\sin x \\cos x, \\det A \\det B); one of the
        other kind is part of the argument (\\sin 2 \\operatorname{tr} B)."""
        other = self.applied_function(node)
        return other is not None and (other in ELEMENTWISE) == (function in ELEMENTWISE)

    def juxtaposition(self, items: list[Node]) -> Value:
        """Side by side: a function word applies to what follows; the rest multiply.

        What a function word takes, as textbooks write it: the bracket right after it
        (``\\sin(x)^2`` is sin(x)², like ``sin(x)^2``); another function word and its
        argument (``\\log\\det X``); otherwise the whole product after it (``\\sin 2x`` is
        sin(2x), ``\\det AX`` is det(AX)), and a function of the same kind within it is
        refused as unclear (``\\sin x \\cos x``). ``\\sin^2 x`` is (sin x)².
        """
        first = items[0]
        if isinstance(first, BinOp) and first.op in {"*", "/", "⊙", "⊗"} \
                and self.function_head(first.right) is not None:
            # a ⊙ \sin x, 2 \cdot \sin x: the function word takes what follows it
            right = Juxt(first.right.span | items[-1].span, (first.right, *items[1:]))
            return self.expr(BinOp(first.span | items[-1].span, first.op, first.left, right))
        if isinstance(first, Neg) and self.function_head(first.arg) is not None:
            # "-log softmax(z)_k" reads as -(log softmax(z)_k): the sign binds last
            return negate(self.juxtaposition([first.arg, *items[1:]]))
        expanded: list[Node] = []
        for item in items:
            if isinstance(item, Name) and item.text not in self.known_names():
                parts = self.split_name(item.text)
                if parts is not None:
                    expanded.extend(self.split_nodes(item, parts))
                    continue
            expanded.append(item)
        factors: list[tuple[Value, Span]] = []
        index = 0
        while index < len(expanded):
            value, span, index = self.factor(expanded, index)
            factors.append((value, span))
        return self.product(factors)

    def product(self, factors: Sequence[tuple[Value | BareOne, Span]]) -> Value:
        result, span = factors[0]
        assert not isinstance(result, BareOne)
        written = [result]  # the factors as written, a run of matrices as their product
        for value, value_span in factors[1:]:
            if isinstance(value, BareOne):
                row_or_matrix = is_matrix(result) and shape_of(result)[1] != 1
                value = UnsizedVector() if row_or_matrix else sympy.S.One
            if is_matrix(value) and is_matrix(written[-1]):  # xᵀ x: one factor, xᵀx
                written[-1] = self.arith.multiply(written[-1], value, span, value_span)
            else:
                written.append(value)
            result = self.arith.multiply(result, value, span, value_span)
            span = span | value_span
        if isinstance(result, sympy.Mul) and not is_matrix(result):
            self.remember_order(result, written)
        return result

    def is_sigmoid(self, node: Node) -> bool:
        """σ(...), sigma(...), \\sigma(...) with no σ declared: the logistic sigmoid (MML)."""
        return isinstance(node, Name) and node.text == "sigma" and not {
            "sigma"} & (set(self.declared) | set(self.defined) | self.differentiable | set(
                self.bound[-1] if self.bound else ()))

    def factor(self, items: Sequence[Node], index: int) -> tuple[Value, Span, int]:
        """The factor that starts at ``items[index]``: its value, its span, where it ends."""
        item = items[index]
        if index > 0 and isinstance(item, Number) and item.text == "1":
            return BareOne(), item.span, index + 1  # xᵀ1, 1ᵀX1: the ones vector
        head = self.function_head(item)
        if head is None and self.is_sigmoid(item) and index + 1 < len(items) and bracketed(
                items[index + 1]) is not None:
            head = ("sigmoid", None)
        if head is None:
            return self.expr(item), item.span, index + 1
        function, exponent = head
        if index + 1 == len(items):
            raise MatcalcError(f"{function} needs an argument", item.span,
                               hint=f"write {function}(...)")
        after = items[index + 1]
        group = bracketed(after)
        if function == "sqrt" and after is group and self.text(after.span).startswith("["):
            return self.root(items, index)  # \sqrt[3]{x}: the cube root, not √3 · x
        if self.applies_function(after):  # \log\det X = log(det(X)), log softmax(z)_k
            argument, span, end = self.factor(items, index + 1)
            value = self.apply(function, argument, span)
        elif group is not None:  # \sin(x)^2, \mathrm{softmax}(z)_k
            value = self.apply(function, self.expr(group.inner), group.span)
            value = self.outside(after, value)
            end = index + 2
        else:  # the whole product up to the next function word
            end = index + 1
            while end < len(items) and not self.ends_argument(function, items[end]):
                end += 1
            if end < len(items):  # \sin x \cos x: a product of two, or sin(x cos x)?
                other = self.applied_function(items[end])
                raise MatcalcError(
                    f"it is not clear where the argument of {function} ends", item.span |
                    items[end].span, hint=f"use brackets: {function}(…) {other}(…) for a "
                                          f"product, {function}(… {other}(…)) for one function")
            run, parts, at = items[index + 1:end], [], 0
            while at < len(run):  # the argument may hold functions of the other kind
                part, part_span, at = self.factor(run, at)
                parts.append((part, part_span))
            span = parts[0][1] | parts[-1][1]
            value = self.apply(function, self.product(parts), span)
        if exponent is not None:
            if exponent_mark(exponent) is not None:
                raise MatcalcError(
                    f"{function}^{{-1}} or {function}^T is not read as a power", item.span,
                    hint=f"for the reciprocal write 1/{function}(...) or ({function} ...)^{{-1}}")
            value = self.power(value, exponent, item.span)
        return value, item.span | items[end - 1].span, end

    def root(self, items: Sequence[Node], index: int) -> tuple[Value, Span, int]:
        r"""``\sqrt[n]{x}``: x^{1/n} (of each entry of a vector or matrix), for a whole n."""
        head, degree = items[index], items[index + 1]
        assert isinstance(degree, Group)
        text = self.text(degree.span)[1:-1].strip()
        if not text.isdigit() or int(text) < 2:
            raise MatcalcError(rf"the root \sqrt[{text}] needs a whole number of at least 2",
                               degree.span, hint=r"write \sqrt[3]{x} for the cube root")
        if index + 2 == len(items):
            raise MatcalcError(r"\sqrt[n] needs an argument", head.span | degree.span,
                               hint=rf"write \sqrt[{text}]{{x}}")
        argument, span, end = self.factor(items, index + 2)
        argument = self.arith.finish(argument, span)
        power = sympy.Rational(1, int(text))
        return entrywise(lambda t: t ** power, argument), head.span | span, end

    def outside(self, node: Node, value: Value) -> Value:
        """Apply to ``value`` the powers, entries and transposes written around a bracket."""
        match node:
            case Power(base=base, exponent=exponent):
                return self.power(self.outside(base, value), exponent, node.span)
            case Subscript(base=base, index=index):
                return self.entry(self.outside(base, value), index, node.span)
            case Postfix(base=base, mark=mark):
                return self.arith.postfix(self.outside(base, value), mark, node.span)
        return value

    def call(self, node: Call) -> Value:
        name = node.name.text
        target = self.aliases.get(name, name)
        if target in self.defined:
            return self.call_definition(target, node)
        function = FUNCTIONS.get(name) if name not in self.declared else None
        if self.is_sigmoid(node.name):
            function = "sigmoid"
        if function is not None:
            if len(node.args) != 1:
                raise MatcalcError(f"{name} takes one argument, not {len(node.args)}",
                                   node.span)
            return self.apply(function, self.expr(node.args[0]), node.args[0].span)
        if self.is_product(node):
            if len(node.args) != 1:
                raise MatcalcError(f"{name} is a variable, not a function", node.name.span)
            return self.juxtaposition([node.name, node.args[0]])
        if name in UNSUPPORTED or name in self.dims:
            raise MatcalcError(
                f"unsupported function {name!r}", node.name.span,
                hint="matcalc differentiates " + ", ".join(sorted(set(FUNCTIONS.values())))
                     + " and abstract differentiable functions such as p(x, z)")
        if name in WRITTEN_OTHERWISE and name not in self.differentiable:
            raise MatcalcError(f"matcalc has no function {name}(…)", node.name.span,
                               hint=WRITTEN_OTHERWISE[name] + f"; '{name} differentiable' "
                               "makes it an abstract function")
        # Used but never defined: an abstract differentiable function (language.md).
        arguments = tuple(self.arith.finish(self.expr(a), a.span) for a in node.args)
        return Applied(sympy.Symbol(name), *arguments)

    def call_definition(self, name: str, node: Call) -> Value:
        """A defined function called: with its own argument names it is the intermediate
        (f(z) in a chain); with others, its definition with the arguments put in."""
        parameters = self.arguments[name]
        if not parameters:
            raise MatcalcError(
                f"{name} is defined without arguments, so it cannot be called", node.span,
                hint=f"write {name} alone, {name}*(...) for a product, or define it with "
                     f"its arguments, as '{node.name.text}(x) = ...'")
        if len(node.args) != len(parameters):
            raise MatcalcError(
                f"{node.name.text} takes {len(parameters)} argument"
                f"{'s' if len(parameters) > 1 else ''} ({', '.join(parameters)}), "
                f"not {len(node.args)}", node.span)
        inner = [unwrapped(a) for a in node.args]
        written = [a.text if isinstance(a, Name) else None for a in inner]
        if written == list(parameters) and name in self.symbols and not self.bound:
            return self.symbols[name]
        values = [self.arith.finish(self.expr(a), a.span) for a in node.args]
        if len(self.bound) > 50:
            raise MatcalcError("calls nest too deeply", node.span,
                               hint="a defined function may call others at most 50 deep")
        self.bound.append(dict(zip(parameters, values, strict=True)))
        try:
            return self.expr(self.defined[name].sides[-1])
        finally:
            self.bound.pop()

    def is_product(self, node: Call) -> bool:
        """``A(x + b)``, ``Ax(y)``, ``x_2(y)``: a value before a bracket multiplies it."""
        name = node.name.text
        if name in self.defined or (name in FUNCTIONS and name not in self.declared):
            return False
        if name in self.differentiable:
            return False
        try:  # anything that reads as a value (A, Ax, x_2, N, I_D) multiplies the bracket
            self.resolve_name(node.name)
        except MatcalcError:
            return False  # an unknown name called: an abstract function, p(x, z)
        return True

    def apply(self, function: str, value: Value, span: Span) -> Value:
        value = self.arith.finish(value, span)
        if function in ELEMENTWISE:
            return entrywise(ENTRYWISE_BY_NAME[function].form, value)
        rows, cols = shape_of(value)
        described = f"{self.text(span)} is {Shape((rows, cols))}"
        if function in {"tr", "det", "inv"} and (rows != cols or not is_matrix(value)):
            raise MatcalcError(f"{function} needs a square matrix, but {described}", span)
        if function == "tr":
            return Trace(value)
        if function == "det":
            return Determinant(value)
        if function == "inv":
            return Inverse(value)
        if function == "sum":
            if not is_matrix(value):
                return value
            if cols != 1:
                raise MatcalcError(f"sum needs a vector, but {described}", span)
            return Scalar(MatMul(OneMatrix(1, rows), value))
        if function == "diag":
            if not is_matrix(value) or cols != 1:
                raise MatcalcError(f"diag needs a vector, but {described}", span)
            return DiagMatrix(value)
        if function == "norm":
            return Norm(value) if is_matrix(value) else Abs(value)
        if function in {"softmax", "logsumexp"}:
            if not is_matrix(value) or cols != 1:
                raise MatcalcError(f"{function} needs a vector, but {described}", span)
            return Softmax(value) if function == "softmax" else LogSumExp(value)
        raise MatcalcError(f"{function} is not supported yet", span,
                           hint="softmax and abstract functions come in a later version")

    # ---- arithmetic with shape checks --------------------------------------------------
    def power(self, base: Value, exponent: Node, span: Span) -> Value:
        mark = exponent_mark(exponent)
        if mark is not None:  # postfix sizes what it can (𝟏ᵀ) and finishes the rest
            return self.arith.postfix(base, mark, span | exponent.span)
        base = self.arith.finish(base, span)
        power = self.expr(exponent)
        if not isinstance(power, sympy.Expr) or is_matrix(power):  # x^I, x^{1^T}
            raise MatcalcError("an exponent must be a number", exponent.span)
        if not is_matrix(base):
            return sympy.Pow(base, power)
        rows, cols = shape_of(base)
        if 1 in (rows, cols) and is_constant(power):  # x^2 of a vector: entry by entry
            return entrywise(lambda t: t ** power, base)
        if rows != cols or not (power.is_Integer and power > 0):
            raise MatcalcError(
                f"a {Shape((rows, cols))} matrix can only be raised to a positive integer "
                "power, transposed (^T) or inverted (^{-1})", span | exponent.span)
        return MatPow(base, power)


def numbered_parts(node: Node) -> tuple[str, str] | None:
    """(W, 1) of W_1, h_1 (lexed as one word), W_{1} or \\mathbf{W}_1: a name and the index
    written after it, which may make one name (W1) or an entry (W_1 of a declared W)."""
    match node:
        case Name(text=text) if "_" in text:
            base, _, index = text.partition("_")
            return base, index
        case Subscript(base=Name(text=text), index=index):
            return text, index
        case Subscript(base=Font(font=font, inner=Name(text=text)), index=index) if (
                font not in ACCENTS):
            return text, index
    return None


def bare_number(node: Node) -> str | None:
    """The digits of a number written alone, in brackets or not: 1, (1), {2}."""
    while isinstance(node, Group):
        node = node.inner
    return node.text if isinstance(node, Number) else None


def is_ones(node: Node) -> bool:
    """𝟏, 1 or \\mathbf{1} before a subscript: the ones vector."""
    if isinstance(node, Font) and node.font in {"mathbf", "boldsymbol", "bm", "mathbb"}:
        node = node.inner
    return isinstance(node, Ones) or (isinstance(node, Number) and node.text == "1")


# \hat{y}, \bar{x}, \tilde{x}: one name each, spelled yhat, xbar, xtilde
ACCENTS = {"hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde",
           "widetilde": "tilde"}


def unwrapped(node: Node) -> Node:
    """The node inside brackets and fonts: x in (x), {x}, \\mathbf{x}."""
    while isinstance(node, Group | Font):
        node = node.inner
    return node


def bracketed(node: Node) -> Group | None:
    """The bracket a node starts with: (x) in (x), (x)^2, (x)_k, (x)ᵀ."""
    while isinstance(node, Power | Subscript | Postfix):
        node = node.base
    return node if isinstance(node, Group) else None


def exponent_mark(node: Node) -> str | None:
    """^T, ^{T}, ^\\top → transpose; ^{-1} → inverse; ^{-T} → inverse transpose."""
    if isinstance(node, Font):
        node = node.inner
    if isinstance(node, Name | Command) and node.text in TRANSPOSE_MARKS:
        return "transpose"
    if isinstance(node, Neg):
        inner = node.arg
        if isinstance(inner, Number) and inner.text == "1":
            return "inverse"
        if isinstance(inner, Name | Command) and inner.text in TRANSPOSE_MARKS:
            return "inverse transpose"
    return None


def children(node: Node) -> list[Node]:
    found: list[Node] = []
    for value in vars(node).values():
        if isinstance(value, Node):
            found.append(value)
        elif isinstance(value, tuple):
            found.extend(item for item in value if isinstance(item, Node))
    return found


def _is_vec(node: Node) -> bool:
    """vec, \\operatorname{vec} or \\mathrm{vec}."""
    if isinstance(node, Font):
        node = node.inner
    return isinstance(node, Name) and node.text == "vec"


MAX_NESTING = 60  # brackets, functions and operators inside one another (README, Limits)


def check_nesting(node: Node) -> None:
    """Refuse an expression nested deeper than MAX_NESTING; the terms of a sum, the factors
    of a product written side by side, do not nest."""
    stack = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        if depth > MAX_NESTING:
            raise MatcalcError(f"this expression nests deeper than {MAX_NESTING} levels",
                               current.span, hint="name the inner parts with definitions, "
                                                  "as in 'u = ...'")
        for child in children(current):
            chained = isinstance(current, BinOp) and isinstance(child, BinOp) and (
                child is current.left and {current.op, child.op} <= {"+", "-"})
            stack.append((child, depth if chained else depth + 1))
