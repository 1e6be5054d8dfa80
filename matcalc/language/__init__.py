"""Text → Problems: the lark grammar, the transformer, and the builder.

``parse(text, path)`` is the whole front end. lark is imported here and nowhere else
outside ``language/``; the parser is built once, lazily, on the first parse.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from matcalc.errors import MAX_INPUT, MatcalcError, Span
from matcalc.model import Declaration, Problem, Shape

if TYPE_CHECKING:
    import sympy
    from lark import Lark

__all__ = ["parse", "read_expression"]

_OPENERS = {"(": ")", "{": "}", "[": "]"}
_CLOSERS = {")": "(", "}": "{", "]": "["}


@cache
def _parser() -> Lark:
    from lark import Lark

    return Lark.open(
        "grammar.lark", rel_to=__file__, parser="lalr", propagate_positions=True, cache=True
    )


def parse(text: str, path: str = "<input>") -> list[Problem]:
    """Every problem in ``text``; a MatcalcError pointing at the first thing wrong."""
    from matcalc.language.build import build_problems
    from matcalc.language.nodes import check_nesting
    from matcalc.language.transformer import ToStatements

    # one line break, as lark counts (U+2028, U+2029 and NEL are line breaks to Python's
    # splitlines, which would shift the line an error points at); a byte-order mark is not text
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    for separator in ("\u2028", "\u2029", "\x85"):
        text = text.replace(separator, "\n")

    try:
        if len(text) > MAX_INPUT:
            raise MatcalcError(f"the input has {len(text):,} characters; matcalc reads at most "
                               f"{MAX_INPUT:,}", Span(1, 1, 1, 2),
                               hint="split it into several files")
        tree = _parser().parse(text if text.endswith("\n") else text + "\n")
        statements = ToStatements().transform(tree)
        for statement in statements:
            for node in _expressions(statement):
                check_nesting(node)
        problems = build_problems(statements, source=text, path=path)
        for problem in problems:
            check_depth(problem)
        return problems
    except MatcalcError as error:
        raise error.located(text, path) from None
    except Exception as error:  # lark's UnexpectedInput and its subclasses
        raise _lark_error(error, text, path) from None


MAX_DEPTH = 400  # levels of an expression with its definitions written out (README, Limits)


def check_depth(problem: Problem) -> None:
    """Refuse definitions that, written out in the declared variables, nest deeper than
    MAX_DEPTH levels (a network of more than about 130 residual layers): sympy walks such
    an expression by recursion. Each definition's depth is computed once, from those it
    uses, so this is linear in the size of the problem."""
    import sympy

    bodies = {d.symbol: d for d in problem.definitions}
    depths: dict[sympy.Basic, int] = {}

    def depth(expr: sympy.Basic) -> int:
        deepest = 0
        stack = [(expr, 0)]  # the expression's own tree is at most MAX_NESTING deep
        while stack:
            node, level = stack.pop()
            if node in depths:  # a definition it uses, already measured
                deepest = max(deepest, level + depths[node])
                continue
            deepest = max(deepest, level)
            stack.extend((arg, level + 1) for arg in node.args)
        return deepest

    for definition in problem.needed(sympy.Tuple(*bodies)):
        depths[definition.symbol] = depth(definition.expr)
        if depths[definition.symbol] > MAX_DEPTH:
            raise MatcalcError(
                f"{definition.name} nests {depths[definition.symbol]} levels deep when its "
                f"definitions are written out; matcalc reads at most {MAX_DEPTH}",
                definition.span, hint="fewer layers; a network of up to about 130 layers "
                                      "is fine")


def _expressions(statement: object) -> list[Any]:
    from matcalc.language.transformer import Node

    found: list[Any] = []
    for value in vars(statement).values():
        items = value if isinstance(value, tuple) else (value,)
        found.extend(item for item in items if isinstance(item, Node))
    return found


def read_expression(text: str, declarations: Sequence[Declaration],
                    shape: Shape | None = None) -> sympy.Basic:
    """One expression, read with the given declarations (as matcalc prints it, or as a user
    writes it): the inverse of the printers, used to test that what is printed reads back.
    ``shape`` is the size printed beside it (∈ ℝ^{D×D}), which sizes a lone ``I``."""

    from matcalc.language.arithmetic import UnsizedIdentity, UnsizedVector
    from matcalc.language.expressions import ExpressionBuilder
    from matcalc.language.scope import Scope
    from matcalc.language.transformer import Define, ToStatements

    source = "f = " + text
    try:
        statements = ToStatements().transform(_parser().parse(source + "\n"))
        if len(statements) != 1 or not isinstance(statements[0], Define) \
                or len(statements[0].sides) != 2:
            raise MatcalcError("expected a single expression", Span(1, 1, 1, len(source) + 1))
        builder = ExpressionBuilder(Scope.declaring(declarations, source))
        rhs = statements[0].sides[-1]
        value = builder.expr(rhs)
        if isinstance(value, UnsizedIdentity) and shape is not None and shape.rows == shape.cols:
            value = builder.arith.sized(value, shape.rows)
        if isinstance(value, UnsizedVector) and shape is not None:
            value = value.sized(shape.cols if value.transposed else shape.rows)
        return builder.arith.finish(value, rhs.span)
    except MatcalcError as error:
        raise error.located(source, "<expression>") from None
    except Exception as error:
        raise _lark_error(error, source, "<expression>") from None


def _lark_error(error: Exception, text: str, path: str) -> Exception:
    """A MatcalcError for what lark raised: a syntax error, or one of ours from inside the
    transformer (lark wraps those); anything else is a bug and goes up as it is."""
    from lark.exceptions import UnexpectedInput, VisitError

    if isinstance(error, VisitError) and isinstance(error.orig_exc, MatcalcError):
        return error.orig_exc.located(text, path)
    if isinstance(error, UnexpectedInput):
        return _syntax_error(error, text, path)
    return error


def _syntax_error(error: Exception, text: str, path: str) -> MatcalcError:
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

    from matcalc.language.spelling import (
        REDUCTION_HINT,
        TERMINAL_WORDS,
        reduction_error_text,
    )

    line = getattr(error, "line", 1) or 1
    column = getattr(error, "column", 1) or 1
    lines = text.splitlines() or [""]
    if line == -1 or line > len(lines):  # at the very end of the input
        line = len(lines)
        column = len(lines[-1]) + 1
    reduction = re.search(r"\\?(sum|prod)\s*_\s*\{[^{}]*$", lines[line - 1][:column - 1])
    if reduction is not None:  # \sum_{n=1}^{N}: the "=" is where the grammar stops
        span = Span(line, reduction.start() + 1, line, column + 1)
        written = reduction.group(0).partition("{")[0] + "{…}"
        return MatcalcError(reduction_error_text(reduction.group(1), written),
                            span, hint=REDUCTION_HINT, source=text, path=path)
    unbalanced = _unbalanced_bracket(lines[line - 1], line)
    if unbalanced is not None:
        message, span = unbalanced
        return MatcalcError(message, span, hint="brackets must close on the same line",
                            source=text, path=path)
    expected: set[str] = set()
    if isinstance(error, UnexpectedToken):
        expected = set(error.accepts or error.expected)
        token = error.token
        if token.type in {"$END", "_NL"}:
            what = "unexpected end of line"
            column = len(lines[line - 1].rstrip()) + 1 if token.type == "_NL" else column
        else:
            what = f"unexpected {_quoted(str(token))}"
        width = max(1, len(str(token))) if token.type not in {"$END", "_NL"} else 1
    elif isinstance(error, UnexpectedCharacters):
        expected = set(error.allowed or ())
        what = f"unexpected character {_quoted(text.splitlines()[line - 1][column - 1])}"
        width = 1
    else:
        what, width = "this could not be read", 1
    words = sorted({TERMINAL_WORDS.get(name, name.lower()) for name in expected
                    if not name.startswith("__") and name not in {"COMMENT", "_NL"}})
    hint = f"expected {', '.join(words[:-1])} or {words[-1]}" if len(words) > 1 else (
        f"expected {words[0]}" if words else "")
    return MatcalcError(what, Span(line, column, line, column + width), hint=hint,
                        source=text, path=path)


def _quoted(text: str) -> str:
    """'\\in' as the user typed it (repr would double the backslash), "'" for a quote."""
    return f'"{text}"' if "'" in text else f"'{text}'"


def _unbalanced_bracket(line_text: str, line: int) -> tuple[str, Span] | None:
    """The first bracket on the line without its partner, if there is one."""
    stack: list[tuple[str, int]] = []
    for index, char in enumerate(line_text.split("#", 1)[0]):
        if char in _OPENERS:
            stack.append((char, index))
        elif char in _CLOSERS:
            if not stack or stack[-1][0] != _CLOSERS[char]:
                column = index + 1
                return (f"unbalanced brackets: {char!r} has no matching {_CLOSERS[char]!r}",
                        Span(line, column, line, column + 1))
            stack.pop()
    if stack:
        char, index = stack[-1]
        return (f"unbalanced brackets: {char!r} is never closed",
                Span(line, index + 1, line, index + 2))
    return None
