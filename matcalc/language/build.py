"""Statements → Problems: declarations, properties, the definition graph and the targets.

The problem builder reads a problem's statements in order: declarations and properties fill
its scope, definitions are registered and built in the order they depend on one another
(each by the expression builder), and the targets name what to differentiate.
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
    bare_number,
    children,
    exponent_mark,
    fraction_parts,
    is_differential_mark,
    is_vec,
    numbered_parts,
)
from matcalc.language.scope import Scope
from matcalc.language.spelling import PROPERTIES
from matcalc.language.transformer import (
    Call,
    Command,
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
    Postfix,
    Power,
    Statement,
    Subscript,
)
from matcalc.model import Declaration, Definition, Problem, Property, Shape, Target
from matcalc.objects import (
    Applied,
    AppliedVector,
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
    """One problem from its statements."""

    header: Header | None
    statements: list[Statement]
    source: str
    path: str
    built: dict[str, Definition] = field(default_factory=dict)
    scope: Scope = field(init=False)
    expressions: ExpressionBuilder = field(init=False)

    def __post_init__(self) -> None:
        self.scope = Scope(self.source)
        self.expressions = ExpressionBuilder(self.scope)

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
                   for t in self.targets(s)]
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

    def targets(self, statement: Find) -> list[Target]:
        return [self.target(node) for node in statement.targets]

    def target(self, node: Node) -> Target:
        taylor = self.taylor(node)
        if taylor is not None:
            return taylor
        second = self.second_order(node)
        if second is not None:
            of, (wrt, wrt2) = second
            for name in (of, wrt, wrt2):
                self.known_target_name(name, node, of)
            return Target(self.scope.aliases.get(of, of), wrt, node.span, wrt2=wrt2, order=2)
        of, wrt = self.derivative_names(node)
        of = self.scope.aliases.get(of, of)
        if not wrt and of in self.scope.defined and of in self.built:  # grad f, ∇f: its variable
            wrt = self.variable_of(of)
        if of not in self.scope.defined:
            raise MatcalcError(f"{of!r} is not defined, so it cannot be differentiated",
                               node.span, hint="the target's numerator must be a defined "
                                               "name, as f in 'find df/dx'")
        if self.scope.is_function(of):
            free = [a for a in self.scope.arguments[of] if a not in self.scope.declared]
            raise MatcalcError(
                f"{of} is a function of {', '.join(free)}, which "
                f"{'is' if len(free) == 1 else 'are'} not declared", node.span,
                hint=f"declare {free[0]} (e.g. '{free[0]} in R') to differentiate {of} "
                     f"itself, or differentiate a definition that calls {of}")
        if wrt not in self.scope.declared and wrt not in self.scope.defined:
            raise MatcalcError(f"unknown name {wrt!r} in the target", node.span,
                               hint=f"declare it, e.g. '{wrt} in R^D'")
        return Target(of, wrt, node.span)

    def known_target_name(self, name: str, node: Node, of: str) -> None:
        if name == of:
            if self.scope.aliases.get(name, name) not in self.scope.defined:
                raise MatcalcError(f"{name!r} is not defined, so it cannot be differentiated",
                                   node.span)
        elif name not in self.scope.declared and name not in self.scope.defined:
            raise MatcalcError(f"unknown name {name!r} in the target", node.span,
                               hint=f"declare it, e.g. '{name} in R^D'")

    def second_order(self, node: Node) -> tuple[str, tuple[str, str]] | None:
        """d2f/dx2, d^2 f/dx^2, \\frac{\\partial^2 f}{\\partial x^2}, d2f/dxdy,
        \\frac{\\partial^2 f}{\\partial x \\partial y}: (f, (x, y)), the first-written
        variable first; None for anything that is not a second derivative."""
        hessian = self.hessian_words(node)
        if hessian is not None:
            return hessian
        parts = fraction_parts(node)
        if parts is None:
            return None
        top, bottom = parts
        of = self.second_numerator(top)
        if of is None:
            return None
        names = self.second_denominator(bottom)
        if names is None or len(names) != 2:
            raise MatcalcError(
                "a second derivative needs two variables below the line", bottom.span,
                hint="write d2f/dx2 or d^2 f/dx^2 for the Hessian, d2f/dxdy for a mixed "
                     "derivative")
        return of, (names[0], names[1])

    def taylor(self, node: Node) -> Target | None:
        """taylor f at x0, taylor f at x0 order 1, T_2 f at x0 (T₂f, T_{2} f \\mathrm{at}
        x_0): the Taylor polynomial of f in its one variable at the declared point x0."""
        if not isinstance(node, Juxt) or len(node.items) not in (4, 6):
            return None
        head, name, word, point, *rest = node.items
        if not self.is_word(word, "at"):
            return None
        order: str | None = None
        if isinstance(head, Name) and head.text == "taylor":
            order = "2"
            if rest:
                if not self.is_word(rest[0], "order"):
                    return None
                order = bare_number(rest[1])
        elif isinstance(head, Name) and head.text.startswith("T_") and not rest:
            order = head.text[2:]
        elif isinstance(head, Subscript) and isinstance(head.base, Name) and \
                head.base.text == "T" and not rest:
            order = head.index
        else:
            return None
        if order not in {"1", "2"}:
            raise MatcalcError("matcalc writes Taylor polynomials of order 1 and 2",
                               node.span, hint="write taylor f at x0 order 2, or T_1 f at x0")
        of = self.scope.plain_name(name, "a name")
        of = self.scope.aliases.get(of, of)
        parts = numbered_parts(point.inner if isinstance(point, Group) else point)
        joined = "".join(parts) if parts is not None else None
        at = joined if joined in self.scope.declared else self.scope.introduced(
            point, "the point")  # x_0 is the point x0 as matcalc prints it, not an entry
        if of not in self.scope.defined or of not in self.built:
            raise MatcalcError(f"{of!r} is not defined, so it has no Taylor polynomial",
                               node.span)
        if at not in self.scope.declared:
            raise MatcalcError(f"the point {at!r} is not declared", point.span,
                               hint=f"declare it in the variable's space, e.g. '{at} in R^D'")
        return Target(of, self.variable_of(of), node.span, order=int(order), at=at)

    @staticmethod
    def is_word(node: Node, word: str) -> bool:
        """at, \\text{at}, \\mathrm{at}: a word of a target."""
        if isinstance(node, Font):
            node = node.inner
        return isinstance(node, Name) and node.text == word

    def hessian_words(self, node: Node) -> tuple[str, tuple[str, str]] | None:
        """hessian f, hessian f wrt x, H_x f, \\nabla^2 f, \\nabla^2_x f: the Hessian of f
        (by its one variable, chosen as for grad f, when none is written)."""
        if not isinstance(node, Juxt) or len(node.items) not in (2, 4):
            return None
        head, name, *rest = node.items
        by: str | None = None
        if isinstance(head, Name) and head.text == "hessian":
            if rest:
                if not (isinstance(rest[0], Name) and rest[0].text == "wrt"):
                    return None
                by = self.scope.plain_name(rest[1], "a variable")
        elif isinstance(head, Name) and head.text.startswith("H_") and len(head.text) > 2 \
                and not rest and "H" not in self.scope.declared:
            by = head.text[2:]
        elif isinstance(head, Power | Subscript) and not rest:
            power = head if isinstance(head, Power) else head.base
            if not isinstance(power, Power) or bare_number(power.exponent) != "2":
                return None
            nabla: Node = power.base
            if isinstance(nabla, Subscript):
                by, nabla = nabla.index, nabla.base
            elif isinstance(head, Subscript):
                by = head.index
            if not (isinstance(nabla, Command) and nabla.text == "nabla"):
                return None
        else:
            return None
        of = self.scope.plain_name(name, "a name")
        of = self.scope.aliases.get(of, of)
        if by is None:
            if of not in self.scope.defined or of not in self.built:
                raise MatcalcError(f"{of!r} is not defined, so it has no Hessian", node.span)
            by = self.variable_of(of)
        return of, (by, by)

    def second_numerator(self, node: Node) -> str | None:
        """f in d2f, d^2 f, \\partial^2 f, \\mathrm{d}^2 f; None if not squared."""
        if isinstance(node, Name) and node.text.startswith("d2") and len(node.text) > 2:
            name = node.text[2:]
            return name if name in self.scope.known_names() else None
        if isinstance(node, Juxt) and len(node.items) == 2:
            mark, name_node = node.items
            if isinstance(mark, Power) and bare_number(mark.exponent) == "2" and \
                    is_differential_mark(mark.base):
                return self.scope.plain_name(name_node, "a name")
            if isinstance(mark, Name) and mark.text == "d2":
                return self.scope.plain_name(name_node, "a name")
        return None

    def second_denominator(self, node: Node) -> list[str] | None:
        """[x, x] for dx2, dx^2, d x^2, \\partial x^2; [x, y] for dxdy, dx dy,
        \\partial x \\partial y."""
        items = node.items if isinstance(node, Juxt) else (node,)
        names: list[str] = []
        after_mark = False
        for item in items:
            if is_differential_mark(item):
                after_mark = True
                continue
            squared = isinstance(item, Power) and bare_number(item.exponent) == "2"
            base = item.base if isinstance(item, Power) and squared else item
            if after_mark:
                found = [self.scope.plain_name(base, "a variable")]
            elif isinstance(base, Name) and base.text.startswith("d"):
                glued = self.glued_differentials(base.text)
                if glued is None:
                    raise MatcalcError(
                        f"unknown name {base.text[1:].rstrip('2')!r} in the target",
                        base.span, hint="a second derivative is taken by declared "
                                        "variables: d2f/dx2, d2f/dxdy")
                found = glued
            else:
                return None
            if squared:
                if len(found) != 1:
                    return None
                found = found * 2
            names += found
            after_mark = False
        return names

    def glued_differentials(self, text: str) -> list[str] | None:
        """dx → [x], dx2 → [x, x], dxdy → [x, y], for declared or defined names; a reading
        with two variables is preferred (dx2 with x2 declared is still d²/dx² when x is)."""
        known = set(self.scope.declared) | set(self.scope.defined)

        def readings(rest: str) -> list[list[str]]:
            if not rest:
                return [[]]
            if not rest.startswith("d"):
                return []
            found = []
            for end in range(len(rest), 1, -1):
                name = rest[1:end]
                if name not in known:
                    continue
                tail = rest[end:]
                if tail.startswith("2") and not tail[1:2].isdigit():
                    found += [[name, name, *more] for more in readings(tail[1:])]
                found += [[name, *more] for more in readings(tail)]
            return found

        options = readings(text)
        two = [option for option in options if len(option) == 2]
        return two[0] if len(two) == 1 else (options[0] if len(options) == 1 else None)

    def derivative_names(self, node: Node) -> tuple[str, str]:
        wrong = MatcalcError(
            "this target is not a derivative", node.span,
            hint="write it as df/dx, d f / d x, \\frac{\\partial f}{\\partial x} or grad_x f")
        if isinstance(node, Juxt) and len(node.items) == 2 and isinstance(node.items[0], Name) \
                and node.items[0].text.startswith("grad_"):
            return self.scope.plain_name(node.items[1], "a name"), node.items[0].text[5:]
        if isinstance(node, Juxt) and len(node.items) == 2 and node.items[0] in (
                Command(node.items[0].span, "nabla"), Name(node.items[0].span, "grad")):
            return self.scope.plain_name(node.items[1], "a name"), ""  # ∇f: by its one variable
        if isinstance(node, Juxt) and len(node.items) == 2 and isinstance(
                node.items[0], Subscript) and node.items[0].base in (
                Command(node.items[0].base.span, "nabla"), Name(node.items[0].base.span, "grad")):
            return self.scope.plain_name(node.items[1], "a name"), node.items[0].index  # ∇_x f
        parts = fraction_parts(node)
        if parts is None:
            raise wrong
        top, bottom = parts
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
            return self.scope.plain_name(node.args[0], "a name")
        if isinstance(node, Juxt) and len(node.items) == 3 and is_vec(node.items[1]) \
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
                return self.scope.plain_name(name, "a name")
        if isinstance(node, Name) and len(node.text) > 1 and node.text[0] == "d":
            rest = Name(node.span, node.text[1:])
            return self.scope.spelled(rest) or rest.text  # dW_1 is dW1
        label = self.scope.label(node)  # dW^{(1)}
        if label is not None and label.startswith("d") and len(label.split("^")[0]) > 1:
            return label[1:]
        raise wrong

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
        return Target(outermost[0], self.variable_of(outermost[0]), None, implied=True)

    def variable_of(self, of: str) -> str:
        """The variable to differentiate ``of`` by when the problem does not say: the one its
        documented arguments end in, else the one declared variable it depends on, else x."""
        # Follow the documented arguments: f(z) ← z = g(y) ← y = h(x) ends in x.
        name = of
        seen = set()
        while name in self.scope.defined and name not in seen:
            seen.add(name)
            arguments = self.scope.arguments.get(name, ())
            if len(arguments) != 1:
                break
            name = self.scope.aliases.get(arguments[0], arguments[0])
        if name in self.scope.declared and name not in self.scope.defined:
            return name
        named = {self.scope.symbols[n]: n for n in self.built}
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
        candidates = [d.name for d in self.scope.declared.values()
                      if d.name not in self.scope.defined and Property.CONSTANT not in d.properties
                      and d.symbol in free]
        if not candidates:
            raise MatcalcError(f"{of} depends on no declared variable, so there is nothing to "
                               "differentiate", self.scope.defined[of].span,
                               hint="declare the variable, e.g. 'x in R^D', and use it")
        if len(candidates) == 1:
            return candidates[0]
        if "x" in candidates:  # MML's convention: x is the variable, the rest are parameters
            return "x"
        raise MatcalcError(
            f"it is not clear which variable to differentiate {of} by: "
            + ", ".join(candidates), self.scope.defined[of].span,
            hint=f"add a line such as 'find d{of}/d{candidates[0] if candidates else 'x'}'")
