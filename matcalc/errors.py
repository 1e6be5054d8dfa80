"""One error type for everything wrong with a problem, and the span it points at.

Imports nothing from matcalc: every other layer may raise a MatcalcError.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

MAX_INPUT = 100_000  # characters in one input (README, Limits): read, then parsed
ECHO = 100  # characters of a long line shown around the spot an error points at


@dataclass(frozen=True)
class Span:
    """Where something is in the source: 1-based line and column; the end is exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int

    def __or__(self, other: Span | None) -> Span:
        """The smallest span covering both."""
        if other is None:
            return self
        start = min((self.line, self.column), (other.line, other.column))
        end = max((self.end_line, self.end_column), (other.end_line, other.end_column))
        return Span(start[0], start[1], end[0], end[1])


class MatcalcError(Exception):
    """Anything wrong with a problem, in the student's words, with where it is.

    Printed as Python 3.11 prints a syntax error: ``path:line:col: error: message``, the
    source line, carets under the span, and a hint saying what was expected.
    """

    exit_code: ClassVar[int] = 1

    def __init__(
        self,
        message: str,
        span: Span | None = None,
        *,
        hint: str = "",
        source: str = "",
        path: str = "<input>",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint
        self.source = source
        self.path = path

    def located(self, source: str, path: str) -> MatcalcError:
        """The same error, told which text and file its span refers to (kept if known)."""
        if not self.source:
            self.source = source
        if self.path == "<input>":
            self.path = path
        return self

    def __str__(self) -> str:
        if self.span is None:
            lines = [f"{visible(self.path)}: error: {visible(self.message)}"]
        else:
            lines = [f"{visible(self.path)}:{self.span.line}:{self.span.column}: error: "
                     f"{visible(self.message)}"]
            source_lines = self.source.splitlines()
            if 0 < self.span.line <= len(source_lines):
                text = visible(source_lines[self.span.line - 1].expandtabs(1))
                same_line = self.span.end_line == self.span.line
                end = self.span.end_column if same_line else len(text) + 1
                column = self.span.column
                if len(text) > ECHO:  # a window of the line around the spot, marked with …
                    start = max(0, min(column - 1 - ECHO // 3, len(text) - ECHO))
                    text = ("…" if start else "") + text[start:start + ECHO] + (
                        "…" if start + ECHO < len(text) else "")
                    shift = start - (1 if start else 0)
                    column, end = column - shift, min(end - shift, len(text) + 1)
                width = max(1, end - column)
                lines.append("  " + text)
                lines.append("  " + " " * (column - 1) + "^" * width)
        if self.hint:
            lines.append(f"  hint: {visible(self.hint)}")
        return "\n".join(lines)


# Bidirectional overrides and isolates: they reorder what a terminal shows
_BIDI = {*range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def visible(text: str) -> str:
    """Text safe to print on a terminal: each control character (escape sequences, clipboard
    writes, screen clearing) and bidirectional override shown as one visible character, so
    that carets under a source line still line up: ␛ for ESC, ␇ for BEL, ␡ for DEL, � for
    the others."""
    out = []
    for char in text:
        code = ord(char)
        if code < 0x20 and char not in "\n\t":
            out.append(chr(0x2400 + code))
        elif code == 0x7F:
            out.append("␡")
        elif 0x80 <= code < 0xA0 or code in _BIDI or code in (0x2028, 0x2029):
            out.append("\ufffd")
        else:
            out.append(char)
    return "".join(out)
