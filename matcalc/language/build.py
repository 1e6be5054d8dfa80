"""Statements → Problems: declarations, properties, the definition graph and the targets.

The problem builder reads a problem's statements in order: declarations and properties fill
its scope, definitions are registered and built in the order they depend on one another
(each by the expression builder), and the targets (read by targets.py) name what to
differentiate.
Imports sympy, matcalc.model, matcalc.objects, matcalc.errors and the language's scope,
expressions, nodes and transformer records.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import sympy
from sympy import MatrixSymbol

from matcalc.errors import MatcalcError, Span
from matcalc.language.expressions import ExpressionBuilder
from matcalc.language.nodes import (
    children,
)
from matcalc.language.scope import Scope
from matcalc.language.spelling import PROPERTIES
from matcalc.language.targets import TargetReader
from matcalc.language.transformer import (
    BinaryDims,
    Call,
    Declare,
    Define,
    Describe,
    Differentiable,
    Find,
    Font,
    Group,
    Header,
    Juxt,
    Name,
    Node,
    Power,
    Statement,
    Subscript,
)
from matcalc.model import (
    Declaration,
    Definition,
    Problem,
    Property,
    Shape,
    Target,
    with_implied,
)
from matcalc.objects import (
    Applied,
    AppliedVector,
    shape_of,
)

MAX_SIZE = 100_000  # a size written as a number (README, Limits)


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
    """One problem from its statements."""

    header: Header | None
    statements: list[Statement]
    source: str
    path: str
    built: dict[str, Definition] = field(default_factory=dict)
    scope: Scope = field(init=False)
    expressions: ExpressionBuilder = field(init=False)
    reader: TargetReader = field(init=False)

    def __post_init__(self) -> None:
        self.scope = Scope(self.source)
        self.expressions = ExpressionBuilder(self.scope)
        self.reader = TargetReader(self.scope, self.built)

    def build(self) -> Problem:
        for statement in self.statements:
            if isinstance(statement, Declare):
                self.declare(statement)
            elif isinstance(statement, Define) and statement.space is not None:
                left = statement.sides[0]  # f = tanh(z) ∈ ℝ^M declares f's size too
                stated = Name(left.span, self.left_side(left)[0])
                if isinstance(statement.space, BinaryDims):
                    raise MatcalcError(f"{stated.text} is defined, so it cannot be declared in "
                                       "{0,1}^K", statement.span,
                                       hint=f"write {stated.text}'s size as R^K")
                self.declare(Declare((stated,), statement.space, (), statement.span))
        for statement in self.statements:
            if isinstance(statement, Describe):
                self.describe(statement)
            elif isinstance(statement, Differentiable):
                self.scope.differentiable |= {self.scope.plain_name(n, "a function name")
                                        for n in statement.names}
            elif isinstance(statement, Define):
                self.register_definition(statement)
        if not self.scope.defined:
            span = self.header.span if self.header else self.statements[0].span
            raise MatcalcError("this problem defines nothing to differentiate", span,
                               hint="add a definition such as 'f = x^T x'")
        for name in self.dependency_order():
            if not self.scope.is_function(name):
                self.build_definition(name)
        targets = [t for s in self.statements if isinstance(s, Find)
                   for t in self.reader.targets(s)]
        definitions = tuple(self.built[name] for name in self.scope.defined if name in self.built)
        problem_span = self.header.span if self.header else self.statements[0].span
        return Problem(
            title=self.header.title if self.header else None,
            declarations=tuple(
                d for d in self.scope.declared.values() if d.name not in self.scope.defined),
            definitions=definitions,
            targets=tuple(targets) or (self.implied_target(),),
            source=self.source,
            path=self.path,
            span=problem_span,
            written_orders=tuple(self.expressions.written_orders.items()),
        )

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
                if len(text) > 6 or int(text) > MAX_SIZE:
                    raise MatcalcError(f"a size of at most {MAX_SIZE:,}, not {text}", span,
                                       hint="declare the size with a name, as R^D")
                if int(text) < 1:
                    raise MatcalcError(f"a dimension must be a positive integer, not {text}",
                                       span)
                sizes.append(sympy.Integer(int(text)))
                continue
            if token.type == "DIM_POWER":  # R^{D^2}
                base, exponent = text.split("^")
                size = self.scope.dims.setdefault(base, dimension(base))
                if not 1 <= int(exponent) <= 4:
                    raise MatcalcError(f"a size {base}^k with k from 1 to 4, not {exponent}",
                                       span, hint="declare the size with its own name")
                sizes.append(size ** int(exponent))
                continue
            parts = text.split("x") if "x" in text[1:-1] else [text]
            for part in parts:
                if part.isdigit():
                    sizes.append(sympy.Integer(int(part)))
                else:
                    sizes.append(self.scope.dims.setdefault(part, dimension(part)))
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
            name = self.scope.introduced(node, "a name to declare")
            if name in self.scope.declared:
                raise MatcalcError(f"{name} is declared twice", node.span,
                                   hint=f"the first declaration is on line "
                                        f"{self.scope.declared[name].span.line}")
            if name == "I":
                raise MatcalcError("I is the identity matrix and cannot be declared",
                                   node.span, hint="choose another name")
            symbol: sympy.Basic = (scalar_symbol(name) if rows == 1 and cols == 1
                                   else MatrixSymbol(name, rows, cols))
            self.scope.declared[name] = Declaration(name, symbol, Shape((rows, cols)),
                                              properties, node.span)
            self.check_properties(self.scope.declared[name])

    def properties(self, words: Iterable[str], span: Span) -> frozenset[Property]:
        return with_implied(frozenset(Property(PROPERTIES[word]) for word in words))

    def check_properties(self, declaration: Declaration) -> None:
        square = {Property.SYMMETRIC, Property.INVERTIBLE, Property.DIAGONAL,
                  Property.ORTHOGONAL, Property.POSITIVE_DEFINITE}
        shape = declaration.shape
        summing = declaration.properties & {Property.SUMS_TO_ONE}
        if summing and shape.is_scalar:  # a matrix: each of its rows
            what = "be one-hot" if Property.ONE_HOT in declaration.properties else "sum to one"
            size = "a number" if shape.is_scalar else str(shape)
            raise MatcalcError(f"{declaration.name} is {size}, so it cannot {what}",
                               declaration.span, hint="a vector is one-hot or sums to one "
                                                      "(y in R^K, one-hot); a matrix, each of "
                                                      "its rows")
        needs_square = sorted(p.value for p in declaration.properties & square)
        if needs_square and (shape.rows != shape.cols or shape.is_scalar):
            raise MatcalcError(
                f"{declaration.name} is {shape}, so it cannot be {needs_square[0]}",
                declaration.span, hint="only square matrices are "
                                       "symmetric, invertible, diagonal or orthogonal")

    def describe(self, statement: Describe) -> None:
        for node in statement.names:
            name = self.scope.plain_name(node, "a declared name")
            if name not in self.scope.declared:
                raise MatcalcError(f"unknown name {name!r}", node.span,
                                   hint=f"declare it first, e.g. '{name} in R^{{D x D}}'")
            old = self.scope.declared[name]
            extra = self.properties(statement.properties, statement.span)
            self.scope.declared[name] = Declaration(old.name, old.symbol, old.shape,
                                              old.properties | extra, old.span)
            self.check_properties(self.scope.declared[name])

    def register_definition(self, statement: Define) -> None:
        *left, _ = statement.sides
        name, arguments = self.left_side(left[0])
        if name in self.scope.defined:
            raise MatcalcError(f"{name} is defined twice", left[0].span,
                               hint=f"the first definition is on line "
                                    f"{self.scope.defined[name].span.line}")
        for middle in left[1:]:
            function, more = self.left_side(middle)
            self.scope.aliases[function] = name
            arguments = arguments or more
        self.scope.defined[name] = statement
        self.scope.arguments[name] = arguments

    def left_side(self, node: Node) -> tuple[str, tuple[str, ...]]:
        if isinstance(node, Juxt) and len(node.items) == 2 and isinstance(
                node.items[1], Group):  # \\boldsymbol{f}(\\boldsymbol{z}) = …
            return (self.scope.introduced(node.items[0], "a function name"),
                    (self.scope.introduced(node.items[1].inner, "an argument name"),))
        if isinstance(node, Call):
            return node.name.text, tuple(self.scope.introduced(a, "an argument name")
                                         for a in node.args)
        if isinstance(node, Name | Font | Group | Subscript | Power):
            return self.scope.introduced(node, "a name"), ()
        first = node.items[0] if isinstance(node, Juxt) else None
        if isinstance(first, Name) and len(first.text) > 2 and first.text not in (
                self.scope.known_names()) and self.scope.split_name(first.text) is None:
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
            spelled = self.scope.spelled(leaf)
            if spelled is not None:  # \hat{y} uses yhat, not y
                names = [spelled]
            elif isinstance(leaf, Name):
                names = self.scope.split_name(leaf.text) or [leaf.text]
            else:
                names = [leaf.name.text] if isinstance(leaf, Call) else []
                stack.extend(children(leaf))
            found |= {self.scope.aliases.get(n, n) for n in names} & set(self.scope.defined)
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
                    "cyclic definitions: " + " → ".join(cycle), self.scope.defined[name].span,
                    hint="a definition may not depend on itself, directly or through others")
            state[name] = "active"
            for used in sorted(self.references(self.scope.defined[name].sides[-1])):
                visit(used, [*path, name])
            state[name] = "done"
            order.append(name)

        for name in self.scope.defined:
            visit(name, [])
        return order

    def build_definition(self, name: str) -> None:
        statement = self.scope.defined[name]
        rhs = statement.sides[-1]
        value = self.expressions.read(rhs)
        if isinstance(value, Applied) and name in self.scope.declared:
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
            value = AppliedVector(sympy.Symbol(value.name), self.scope.declared[name].shape.rows,
                                  *value.arguments)
        rows, cols = shape_of(value)
        if name in self.scope.declared:
            declared = self.scope.declared[name]
            if declared.shape.dims != (rows, cols):
                raise MatcalcError(
                    f"{name} is declared {declared.shape} but its definition is "
                    f"{Shape((rows, cols))}", rhs.span)
            symbol = declared.symbol
        elif rows == 1 and cols == 1:
            symbol = scalar_symbol(name)
        else:
            symbol = MatrixSymbol(name, rows, cols)
        self.scope.symbols[name] = symbol
        function = next((f for f, n in self.scope.aliases.items() if n == name), None)
        self.built[name] = Definition(name, symbol, function, self.scope.arguments[name], value,
                                      Shape((rows, cols)), statement.span)

    def implied_target(self) -> Target:
        defined = self.scope.defined
        used = {n for name in defined for n in self.references(defined[name].sides[-1])}
        outermost = [name for name in self.scope.defined
                     if name not in used and not self.scope.is_function(name)]
        if not outermost:
            raise MatcalcError(
                "only functions are defined (" + ", ".join(self.scope.defined)
                + "), and a function is differentiated where it is called", self.statements[0].span,
                hint="add a definition that calls it, such as 'f = s(w^T x)'")
        if len(outermost) != 1:
            raise MatcalcError(
                "it is not clear what to differentiate: " + ", ".join(outermost) +
                " are all outermost definitions", self.statements[0].span,
                hint="add a line such as 'find df/dx'")
        return Target(outermost[0], self.reader.variable_of(outermost[0]), None, implied=True)
