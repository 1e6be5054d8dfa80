"""Targets: what a find line asks for — df/dx and its spellings, second derivatives
(d2f/dx2, ∂²f/∂x∂y, hessian f, ∇²f), Taylor polynomials (taylor f at x0, T_2 f at x0) —
read against a problem's scope, once its definitions are built.

Imports matcalc.model, matcalc.errors and the language's scope, nodes and transformer
records.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from matcalc.errors import MatcalcError
from matcalc.language.nodes import (
    bare_number,
    exponent_mark,
    fraction_parts,
    is_differential_mark,
    is_vec,
    numbered_parts,
)
from matcalc.language.scope import Scope
from matcalc.language.transformer import (
    Call,
    Command,
    Find,
    Font,
    Group,
    Juxt,
    Name,
    Node,
    Postfix,
    Power,
    Subscript,
)
from matcalc.model import Definition, Property, Target


@dataclass
class TargetReader:
    """Reads a problem's targets; ``built`` holds the definitions built so far (grad f, a
    Hessian and a Taylor polynomial without a variable take f's one variable)."""

    scope: Scope
    built: dict[str, Definition]

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
            for name in (wrt, wrt2):
                self.not_binary(name, node)
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
        self.not_binary(wrt, node)
        return Target(of, wrt, node.span)

    def not_binary(self, name: str, node: Node) -> None:
        """y ∈ {0,1}^K takes the values 0 and 1 only: nothing is differentiated by it."""
        declared = self.scope.declared.get(name)
        if declared is not None and Property.BINARY in declared.properties:
            raise MatcalcError(
                f"{name} is declared in {{0,1}}^K, so its entries are 0 or 1 and nothing has a "
                f"derivative by {name}", node.span,
                hint=f"declare {name} in R^K to differentiate by it")

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
        variable = self.variable_of(of)
        if at == variable:
            raise MatcalcError(f"the point must be another name than the variable {at}",
                               point.span, hint=f"declare a point, e.g. '{at}0', in the "
                                                f"space of {at}, and write 'at {at}0'")
        return Target(of, variable, node.span, order=int(order), at=at)

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
            return node.text[2:]  # d2g: g, to be named if it is not defined
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
                      if d.name not in self.scope.defined
                      and not {Property.CONSTANT, Property.BINARY} & d.properties
                      and d.symbol in free]
        if not candidates:
            data = sorted(d.name for d in self.scope.declared.values() if d.symbol in free)
            if data:  # y ∈ {0,1}^K or a constant: nothing is differentiated by them
                raise MatcalcError(
                    f"{of} depends only on {', '.join(data)}, which "
                    f"{'is' if len(data) == 1 else 'are'} declared constant or in {{0,1}}, so "
                    "there is nothing to differentiate", self.scope.defined[of].span,
                    hint="declare a variable in R^D and use it")
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
