"""lark parse tree → statement records with spans. Knows nothing of calculus or sympy.

One method per grammar rule, named after it (lark's Transformer). Expression nodes are
small frozen records; ``build.py`` decides what their names mean.
Imports lark and matcalc.errors only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lark import Token, v_args
from lark.tree import Meta
from lark.visitors import Transformer_NonRecursive

from matcalc.errors import MatcalcError, Span
from matcalc.language.spelling import GREEK, UNICODE_GREEK


def span_of(item: Token | Meta) -> Span:
    line, column = item.line or 1, item.column or 1
    return Span(line, column, item.end_line or line, item.end_column or column + 1)


# ---- expression nodes --------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    span: Span


@dataclass(frozen=True)
class Name(Node):
    text: str  # as written, Greek already spelled in ASCII ("mu")


@dataclass(frozen=True)
class Number(Node):
    text: str


@dataclass(frozen=True)
class Ones(Node):
    """𝟏: the ones vector, sized by a subscript (𝟏_D), like 1_D and \\mathbf{1}_D."""


@dataclass(frozen=True)
class Command(Node):
    text: str  # a LaTeX command without its backslash that is not Greek: "sin", "top"


@dataclass(frozen=True)
class BinOp(Node):
    op: str  # "+", "-", "*", "/", "⊙", "⊗"
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg(Node):
    arg: Node


@dataclass(frozen=True)
class Juxt(Node):
    items: tuple[Node, ...]  # written side by side: 2x, A x, \sin x


@dataclass(frozen=True)
class Call(Node):
    name: Name
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Power(Node):
    base: Node
    exponent: Node


@dataclass(frozen=True)
class Postfix(Node):
    base: Node
    mark: str  # "transpose", "inverse", "inverse transpose"


@dataclass(frozen=True)
class Subscript(Node):
    base: Node
    index: str  # "k" or "2": an entry, counted from 1


@dataclass(frozen=True)
class Group(Node):
    """(...), {...} or [...]: kept, so that a function word takes exactly the group."""

    inner: Node


@dataclass(frozen=True)
class Frac(Node):
    numerator: Node
    denominator: Node


@dataclass(frozen=True)
class Font(Node):
    font: str  # "mathbf", "operatorname", ...
    inner: Node


@dataclass(frozen=True)
class NormOf(Node):
    arg: Node
    subscript: str | None  # "2", "F"


@dataclass(frozen=True)
class DotPower(Node):
    """x.^2: a power of each entry, whatever the shape (MATLAB's .^)."""

    base: Node
    exponent: Node


@dataclass(frozen=True)
class AbsOf(Node):
    arg: Node


@dataclass(frozen=True)
class SumOver(Node):
    """\\sum_{n=1}^{N} or sum_n: a sum over an index of what follows it."""

    index: str  # "n"
    upper: str | None  # "N", or None when the bound is not written


@dataclass(frozen=True)
class InnerOf(Node):
    """⟨a, b⟩: the inner product (aᵀb for vectors, tr(AᵀB) for matrices)."""

    left: Node
    right: Node


# ---- statements ----------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    title: str | None
    span: Span


@dataclass(frozen=True)
class Declare:
    names: tuple[Node, ...]
    dims: tuple[Token, ...]  # the tokens between the braces of R^{...}
    properties: tuple[str, ...]
    span: Span


@dataclass(frozen=True)
class Describe:
    """``S is symmetric``"""

    names: tuple[Node, ...]
    properties: tuple[str, ...]
    span: Span


@dataclass(frozen=True)
class Differentiable:
    names: tuple[Node, ...]
    span: Span


class BinaryDims(tuple[Token, ...]):
    """The size of {0,1}^K: a space of vectors whose entries are 0 or 1."""


@dataclass(frozen=True)
class Define:
    sides: tuple[Node, ...]  # z = g(y) = y^T S^{-1} y has three sides
    span: Span
    space: tuple[Token, ...] | None = None  # f = tanh(z) ∈ ℝ^M: the size it states


@dataclass(frozen=True)
class Find:
    targets: tuple[Node, ...]
    span: Span


Statement = Header | Declare | Describe | Differentiable | Define | Find

_MULOPS = {"*": "*", "@": "*", "\\cdot": "·", "·": "·", "\\times": "*", "×": "*",
           ".*": "⊙", "⊙": "⊙", "\\odot": "⊙",
           "\\circ": "⊙", "∘": "⊙", "\\otimes": "⊗", "⊗": "⊗"}
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_POSTFIX = {"'": "transpose", "ᵀ": "transpose", "⁻¹": "inverse", "⁻ᵀ": "inverse transpose"}


_VULGAR = {"½": "1/2", "⅓": "1/3", "⅔": "2/3", "¼": "1/4", "¾": "3/4"}


_SUBSCRIPT_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


def _name_text(text: str) -> str:
    """μ → mu; in a run of letters, Φθ → Phitheta, which build.py splits into Φ and θ;
    subscript digits at the end as an underscore, W₁ → W_1 and x₁ → x_1 (the name W1, the
    entry x_1), inside a run as digits, W₁x → W1x (W1 and x)."""
    text = "".join(UNICODE_GREEK.get(ch, ch) for ch in text)
    if "_" in text:
        return text
    inner = text.rstrip("₀₁₂₃₄₅₆₇₈₉")  # W₁x: the names W1 and x, side by side
    last = text[len(inner):].translate(_SUBSCRIPT_DIGITS)
    return inner.translate(_SUBSCRIPT_DIGITS) + (f"_{last}" if last and inner else last)


@v_args(meta=True, inline=True)
class ToStatements(Transformer_NonRecursive[Token, list[Statement]]):
    """Parse tree → statements. Methods are named after the grammar's rules and aliases.
    Non-recursive, so that a sum of many terms does not exhaust Python's stack."""

    def start(self, meta: Meta, *items: Statement) -> list[Statement]:
        return list(items)

    def header(self, meta: Meta, token: Token) -> Header:
        text = str(token).strip()
        title = text.split(":", 1)[1] if text.startswith("problem") else text.lstrip("#")
        return Header(title.strip() or None, span_of(token))

    def declaration(self, meta: Meta, *children: Any) -> Declare:
        names = tuple(c for c in children if isinstance(c, Node))
        dims = next(c for c in children if isinstance(c, tuple))
        properties = tuple(c for c in children if type(c) is str)
        if isinstance(dims, BinaryDims):
            properties = ("binary", *properties)
        return Declare(names, dims, properties, span_of(meta))

    def property_statement(self, meta: Meta, *children: Any) -> Describe:
        names = tuple(c for c in children if isinstance(c, Node))
        properties = tuple(c for c in children if type(c) is str)
        return Describe(names, properties, span_of(meta))

    def differentiable(self, meta: Meta, *children: Any) -> Differentiable:
        return Differentiable(tuple(c for c in children if isinstance(c, Node)), span_of(meta))

    def definition(self, meta: Meta, *children: Any) -> Define:
        sides = tuple(c for c in children if isinstance(c, Node))
        space = next((c for c in children if isinstance(c, tuple)), None)
        return Define(sides, span_of(meta), space)

    def target(self, meta: Meta, _find: Token, *targets: Node) -> Find:
        return Find(targets, span_of(meta))

    def property(self, meta: Meta, token: Token) -> str:
        text = " ".join(str(token).split())
        if text.startswith("one"):
            return "one-hot"
        return "positive definite" if text.startswith("positive") else text

    def space(self, meta: Meta, reals: Token, *dims: Token) -> tuple[Token, ...]:
        return BinaryDims(dims) if reals.type == "BINARY" else dims

    def dim_power(self, meta: Meta, base: Token, exponent: Token) -> Token:
        return Token("DIM_POWER", f"{base}^{exponent}")

    def dim_atom(self, meta: Meta, token: Token | None = None) -> Token:
        return token if token is not None else Token("TIMES", "*")

    # ---- expressions ----
    def name(self, meta: Meta, token: Token) -> Node:
        return Name(span_of(token), _name_text(str(token)))

    def number(self, meta: Meta, token: Token) -> Number:
        return Number(span_of(token), _VULGAR.get(str(token), str(token)))

    def ones(self, meta: Meta, token: Token) -> Ones:
        return Ones(span_of(token))

    def command(self, meta: Meta, token: Token) -> Node:
        text = str(token).lstrip("\\")
        if text in GREEK:
            return Name(span_of(token), GREEK[text])
        return Command(span_of(token), {"∂": "partial", "∇": "nabla", "√": "sqrt"}.get(text, text))

    def sum_over(self, meta: Meta, token: Token) -> SumOver:
        match = re.fullmatch(r"\\?sum_\{?\s*([A-Za-z])\s*(?:=\s*1\s*)?\}?"
                             r"(?:\^\{?\s*([A-Za-z0-9]+)\s*\}?)?", str(token))
        assert match is not None
        return SumOver(span_of(token), match.group(1), match.group(2))

    def exp_atom(self, meta: Meta, token: Token) -> Node:
        if str(token).isdigit():
            return Number(span_of(token), str(token))
        return Name(span_of(token), str(token))

    def neg_atom(self, meta: Meta, token: Token) -> Neg:
        return Neg(span_of(meta), self.exp_atom(meta, token))

    def add(self, meta: Meta, left: Node, right: Node) -> BinOp:
        return BinOp(span_of(meta), "+", left, right)

    def sub(self, meta: Meta, left: Node, right: Node) -> BinOp:
        return BinOp(span_of(meta), "-", left, right)

    def mul(self, meta: Meta, left: Node, op: Token, right: Node) -> BinOp:
        return BinOp(span_of(meta), _MULOPS[str(op)], left, right)

    def div(self, meta: Meta, left: Node, right: Node) -> BinOp:
        return BinOp(span_of(meta), "/", left, right)

    def juxt(self, meta: Meta, left: Node, right: Node) -> Juxt:
        items = left.items if isinstance(left, Juxt) else (left,)
        return Juxt(span_of(meta), (*items, right))

    def neg(self, meta: Meta, arg: Node) -> Neg:
        return Neg(span_of(meta), arg)

    def power(self, meta: Meta, base: Node, exponent: Node) -> Power:
        return Power(span_of(meta), base, exponent)

    def dot_power(self, meta: Meta, base: Node, _mark: Token, exponent: Node) -> DotPower:
        return DotPower(span_of(meta), base, exponent)

    def postfix(self, meta: Meta, base: Node, mark: Token) -> Postfix:
        return Postfix(span_of(meta), base, _POSTFIX[str(mark)])

    def superscript(self, meta: Meta, base: Node, token: Token) -> Power:
        digits = str(token).translate(_SUPERSCRIPTS)
        exponent: Node = Number(span_of(token), digits.lstrip("-"))
        if digits.startswith("-"):
            exponent = Neg(span_of(token), exponent)
        return Power(span_of(meta), base, exponent)

    def subscript(self, meta: Meta, base: Node, index: str) -> Subscript:
        return Subscript(span_of(meta), base, index)

    def index(self, meta: Meta, *tokens: Token) -> str:
        return _name_text(str(tokens[-1]))  # {\mathbf{x}} is x

    def power_index(self, meta: Meta, base: Node, exponent: Node, index: str) -> Power:
        """\\|x\\|^2_2: the subscript of a norm written after its power."""
        if isinstance(base, NormOf) and base.subscript is None:
            return Power(span_of(meta), NormOf(base.span, base.arg, index), exponent)
        return Power(span_of(meta), Subscript(span_of(meta), base, index), exponent)

    def frac_digits(self, meta: Meta, _frac: Token, digits: Token) -> Frac:
        """\\frac12 is ½: one digit over one digit."""
        text = str(digits)
        if len(text) != 2 or not text.isdigit():
            raise MatcalcError("\\frac without braces takes two digits, as in \\frac12",
                               span_of(digits), hint="write \\frac{a}{b}")
        top, bottom = (Number(span_of(digits), d) for d in text)
        return Frac(span_of(meta), top, bottom)

    def call(self, meta: Meta, name: Token, *args: Node) -> Call:
        return Call(span_of(meta), Name(span_of(name), _name_text(str(name))), args)

    def max_call(self, meta: Meta, opening: Token, *args: Node) -> Call:
        """\\max(0, t) and \\max\\{0, t\\} are the call max(0, t)."""
        return Call(span_of(meta), Name(span_of(opening), "max"), args)

    def group(self, meta: Meta, inner: Node) -> Group:
        return Group(span_of(meta), inner)

    def frac(self, meta: Meta, _frac: Token, numerator: Node, denominator: Node) -> Frac:
        return Frac(span_of(meta), numerator, denominator)

    def font(self, meta: Meta, font: Token, inner: Node) -> Font:
        return Font(span_of(meta), str(font).lstrip("\\"), inner)

    def norm(self, meta: Meta, _open: Token, arg: Node, _close: Token,
             subscript: str | None = None) -> NormOf:
        return NormOf(span_of(meta), arg, subscript)

    def norm_sub(self, meta: Meta, token: Token) -> str:
        return str(token)

    def absolute(self, meta: Meta, arg: Node) -> AbsOf:
        return AbsOf(span_of(meta), arg)

    def inner(self, meta: Meta, _open: Token, left: Node, right: Node, _close: Token
              ) -> InnerOf:
        return InnerOf(span_of(meta), left, right)
