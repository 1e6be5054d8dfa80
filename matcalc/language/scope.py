"""The scope of one problem: the names it declares and defines, their sizes, and the
readings of a name (Ax as A and x, W_1 as W1, \\hat{y} as yhat, sin as a function, σ as the
sigmoid), with no expression built.

The problem builder fills the scope as it reads declarations and definitions; the expression
builder reads names through it. Imports sympy, matcalc.model, matcalc.errors and the
transformer's records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import sympy

from matcalc.errors import MatcalcError, Span
from matcalc.language.arithmetic import Value
from matcalc.language.nodes import (
    ACCENTS,
    numbered_parts,
)
from matcalc.language.spelling import (
    ELEMENTWISE,
    FUNCTIONS,
)
from matcalc.language.transformer import (
    Call,
    Command,
    Define,
    Font,
    Group,
    Name,
    Node,
    Number,
    Postfix,
    Power,
    Subscript,
    SumOver,
)
from matcalc.model import Declaration
from matcalc.objects import as_dimension


@dataclass
class Scope:
    """What the names of one problem are, as far as it has been read."""

    source: str
    dims: dict[str, sympy.Symbol] = field(default_factory=dict)
    declared: dict[str, Declaration] = field(default_factory=dict)
    defined: dict[str, Define] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # g → z for z = g(y) = ...
    arguments: dict[str, tuple[str, ...]] = field(default_factory=dict)
    symbols: dict[str, sympy.Basic] = field(default_factory=dict)  # built intermediates
    differentiable: set[str] = field(default_factory=set)
    bound: list[dict[str, Value]] = field(default_factory=list)  # arguments of a call

    @classmethod
    def declaring(cls, declarations: Sequence[Declaration], source: str) -> Scope:
        """A scope that knows these declarations and their sizes only (to read one
        expression as matcalc prints it)."""
        scope = cls(source)
        for declaration in declarations:
            scope.declared[declaration.name] = declaration
            for size in declaration.shape.dims:
                scope.dims.update({str(s): s for s in as_dimension(size).free_symbols})
        return scope

    def text(self, span: Span) -> str:
        """The source text under a span, for messages ("A x is E×1")."""
        lines = self.source.splitlines()
        if span.line == span.end_line and 0 < span.line <= len(lines):
            return lines[span.line - 1][span.column - 1: span.end_column - 1].strip()
        return "this"

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

    def numbered(self, base: str, index: str) -> str | None:
        """W1 for W_1 when W1 is a name and W is not (W_1 is then no entry of W): names
        with digits, as textbooks write them (W_1, b_1) and as the LaTeX output prints them.
        x_0 is the name x0 even beside a declared x: entries are counted from 1, so x_0 is
        never one (the point x₀ of a Taylor polynomial)."""
        known = self.known_names()
        if index.isdigit() and base and base + index in known and (
                base not in known or int(index) == 0):
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

    def label(self, node: Node) -> str | None:
        """W^{(1)}, h^{(k)}: a name with a label in brackets, as W^(1)."""
        if isinstance(node, Power) and isinstance(node.base, Name) and isinstance(
                node.exponent, Group) and isinstance(node.exponent.inner, Name | Number):
            mark = node.exponent.inner.text
            if mark.isdigit() or isinstance(node.exponent.inner, Name):
                return f"{node.base.text}^({mark})"
        return None

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
        if isinstance(node, SumOver) and self.text(node.span).isidentifier():
            return self.text(node.span)  # sum_a in R: a name, though sum_n … is a sum
        raise MatcalcError(f"expected {what} here", node.span)

    def introduced(self, node: Node, what: str) -> str:
        """A name being declared or defined, as textbooks write it: W_1, W_{1},
        \\mathbf{W}_1 and {\\boldsymbol{W}_{1}} introduce W1 (unless W is declared: W_1 is
        then its entry; x_0 is never an entry, so it introduces x0), \\hat{y} introduces
        yhat."""
        parts = numbered_parts(node.inner if isinstance(node, Group) else node)
        if parts is not None and parts[1].isdigit() and (
                parts[0] not in self.declared or int(parts[1]) == 0):
            return "".join(parts)
        name = self.plain_name(node, what)
        if "__" in name or name.startswith("_") or name.endswith("_"):
            raise MatcalcError(f"{name!r}: an underscore joins a name to its index (W_1, x_k);"
                               " a name may not begin or end with one or hold two together",
                               node.span, hint="choose a name such as ab or a_b")
        return name

    def is_function(self, name: str) -> bool:
        """``s(t) = 1/(1 + exp(-t))`` with t not declared: a function, used by calling it."""
        known = set(self.declared) | set(self.defined) | set(self.aliases)
        return any(argument not in known for argument in self.arguments.get(name, ()))

    def is_sigmoid(self, node: Node) -> bool:
        """σ(...), sigma(...), \\sigma(...) with no σ declared: the logistic sigmoid (MML)."""
        return isinstance(node, Name) and node.text == "sigma" and not {
            "sigma"} & (set(self.declared) | set(self.defined) | self.differentiable | set(
                self.bound[-1] if self.bound else ()))

    def function_word(self, node: Node) -> str | None:
        """``sin``, ``\\sin``, ``\\operatorname{tr}``: a function applied by juxtaposition."""
        if isinstance(node, Font) and node.font in {"operatorname", "mathrm", "text"}:
            node = node.inner
        if isinstance(node, Command) and node.text == "sum":  # \sum with no index below it
            raise MatcalcError(
                "\\sum needs the index it sums over", node.span,
                hint="write \\sum_i x_i or \\sum_{n=1}^{N} (…) for a sum over an index, or "
                     "sum(x) for the sum of a vector's entries")
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
