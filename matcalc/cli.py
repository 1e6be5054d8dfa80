"""The command line: argparse, files and standard input, one console, exit codes.

0: every problem solved (and its check passed); 1: a problem error or a failed check;
2: a usage error (argparse's). Output files are written whole or not at all.
No mathematics and no formatting of mathematics here: that is api and render.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
import tempfile
from collections.abc import Sequence
from typing import BinaryIO

from matcalc import __version__
from matcalc.errors import MAX_INPUT, MatcalcError

EXAMPLE = """\
examples:
  matcalc solve problems/mml-5.8a.mc
  matcalc solve problems/*.mc --format latex --standalone -o notes.tex
  matcalc solve problems/mml-5.8a.mc --format html -o mml-5.8a.html
  matcalc solve problems/least-squares.mc --format numpy -o least_squares.py
  matcalc solve -e 'x in R^D; A in R^{D x D}; f = x^T A x; find df/dx'
  echo 'x in R^D
  f = log(1 + x^T x)' | matcalc solve - --format json
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="matcalc",
        description="Worked, numerically checked matrix-calculus derivations "
                    "(chain rule, every partial derivative with its dimensions).",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"matcalc {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    solve = commands.add_parser(
        "solve", help="solve the problems in files (or '-' for standard input)",
        description="Solve every problem in the given files and explain each derivative.",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    solve.add_argument("paths", nargs="*", metavar="PATH",
                       help="problem files (.mc); '-' reads standard input")
    solve.add_argument("-e", "--expr", action="append", default=[], metavar="TEXT",
                       help="an inline problem (may be repeated)")
    solve.add_argument("-f", "--format",
                       choices=("text", "latex", "markdown", "html", "json", "numpy", "jax"),
                       default="text", help="output format (default: text); markdown is for "
                                            "GitHub, Obsidian and notebooks; html is one "
                                            "self-contained page with MathML; numpy and jax "
                                            "write a Python module computing each value and "
                                            "derivative, with a check_<name>() beside it")
    solve.add_argument("-o", "--output", metavar="FILE",
                       help="write to FILE (whole or not at all) instead of standard output")
    solve.add_argument("--standalone", action="store_true",
                       help="with --format latex: a complete document that pdflatex compiles")
    solve.add_argument("--latex-style", choices=("bold", "plain"), default="bold",
                       help="vectors and matrices in bold as MML sets them (default) or in "
                            "plain italics, in LaTeX, Markdown, HTML and JSON")
    check = solve.add_mutually_exclusive_group()
    check.add_argument("--check", dest="check", action="store_true", default=True,
                       help="check every result against finite differences (the default)")
    check.add_argument("--no-check", dest="check", action="store_false",
                       help="skip the numeric check")
    solve.add_argument("--layout", choices=("numerator", "denominator"), default="numerator",
                       help="numerator (MML, default) or denominator (gradients as columns)")
    solve.add_argument("--dims", type=sizes, metavar="M=2,N=3",
                       help="also write out the entries of derivatives by matrices for "
                            "these sizes (the tensor slice by slice, and ∂vec F/∂vec X)")
    solve.add_argument("--brief", action="store_true",
                       help="show only the partials, the chain and the result")
    solve.add_argument("--no-color", action="store_true", help="plain text without colour")
    solve.add_argument("--width", type=width, default=None, metavar="N",
                       help="text width in columns, 40 to 1000 (default: the terminal's, "
                            "or 100)")
    return parser


def width(text: str) -> int:
    """--width N: a whole number of columns, at least 40 (a formula needs room) and at most
    1,000 (--width 100000000 built 1.1 GB of padding)."""
    if not text.strip().isdigit() or not 40 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(
            f"expected a width of 40 to 1,000 columns, not {text!r}")
    return int(text)


def sizes(text: str) -> dict[str, int]:
    """'M=2,N=3' → {"M": 2, "N": 3}"""
    found: dict[str, int] = {}
    for part in text.split(","):
        name, equals, value = part.partition("=")
        if not equals or not name.strip() or not value.strip().isdigit() or int(value) < 1:
            raise argparse.ArgumentTypeError(
                f"{part!r} is not a size; write NAME=N, e.g. M=2,N=3")
        found[name.strip()] = int(value)
    return found


def bounded(stream: BinaryIO, path: str) -> bytes:
    """At most what MAX_INPUT characters can take in UTF-8; more is an error, said before
    reading any further (a device or a pipe may never end)."""
    limit = 4 * MAX_INPUT
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise MatcalcError(f"the input has more than {MAX_INPUT:,} characters, the most "
                           "matcalc reads", path=path, hint="split it into several files")
    return data


def read_sources(args: argparse.Namespace, parser: argparse.ArgumentParser
                 ) -> list[tuple[str, str]]:
    sources: list[tuple[str, str]] = [(utf8(text, "<-e>"), "<-e>") for text in args.expr]
    for path in args.paths:
        if path == "-":
            data = bounded(sys.stdin.buffer, "<stdin>") if hasattr(sys.stdin, "buffer") else \
                sys.stdin.read(MAX_INPUT + 1).encode("utf-8", "surrogateescape")
            try:
                sources.append((data.decode("utf-8"), "<stdin>"))
            except UnicodeDecodeError:
                raise MatcalcError("standard input is not UTF-8 text", path="<stdin>") from None
            continue
        try:
            with open(path, "rb") as stream:  # a device (/dev/urandom) never ends: bounded
                sources.append((bounded(stream, path).decode("utf-8"), path))
        except OSError as error:
            parser.error(f"cannot read {path}: {error.strerror or error}")
        except UnicodeDecodeError:
            raise MatcalcError(f"{path} is not UTF-8 text", path=path) from None
    if not sources:
        parser.error("give a problem file, '-' for standard input, or -e TEXT")
    return sources


def utf8(text: str, path: str) -> str:
    """A command-line argument as text: bytes that are not UTF-8 (which Python keeps as
    surrogates) are an error, as they are in a file."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise MatcalcError(f"{path} is not UTF-8 text", path=path) from None
    return text


def write_atomically(path: str, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all. A new path or a regular file gets a
    temporary file beside it, renamed over it: an existing file keeps its mode, a new one
    takes the umask's (not mkstemp's 0600). Anything else — a device such as /dev/stdout, a
    FIFO — is written into, as the shell would; a symbolic link is followed to its target."""
    target = os.path.realpath(path)
    if os.path.exists(target) and not stat.S_ISREG(os.stat(target).st_mode):
        with open(target, "w", encoding="utf-8") as stream:
            stream.write(text)
        return
    if os.path.exists(target):
        mode = stat.S_IMODE(os.stat(target).st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    if os.path.exists(target) and os.stat(target).st_nlink > 1:
        with open(target, "w", encoding="utf-8") as stream:  # hard links share the file
            stream.write(text)
        return
    folder = os.path.dirname(target)
    handle, temporary = tempfile.mkstemp(prefix=".matcalc-", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # an output encoding without ∈ or ᵀ (cp1252):
        reconfigure = getattr(stream, "reconfigure", None)  # escaped, never a crash
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)
    from matcalc.api import solve_all  # after argument parsing: --help stays fast

    try:
        sources = read_sources(args, parser)
        solutions = [solution for text, path in sources
                     for solution in solve_all(text, path=path, layout=args.layout,
                                               check=args.check, dims=args.dims)]
        if args.format == "text" and not args.output:
            print_text(solutions, args)
        elif args.format in ("numpy", "jax"):
            from matcalc.export import module_source, skipped

            output = module_source(solutions, args.format,
                                   ", ".join(path for _, path in sources))
            for title, reason in skipped(solutions):
                sys.stderr.write(f"matcalc: note: no code for {title!r}: {reason}\n")
            deliver(output, args.output)
        else:
            from matcalc.render import render_all

            output = render_all(solutions, args.format, standalone=args.standalone,
                                width=args.width or 100, brief=args.brief,
                                latex_style=args.latex_style)
            deliver(output, args.output)
    except MatcalcError as error:
        sys.stderr.write(str(error) + "\n")
        return error.exit_code
    except OSError as error:
        sys.stderr.write(f"matcalc: error: {error}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    except MemoryError:
        sys.stderr.write("matcalc: error: out of memory: the problem's sizes are too large "
                         "to compute with\n")
        return 1
    except Exception as error:  # a bug in matcalc: say so plainly, without a traceback
        sys.stderr.write(f"matcalc: internal error: {type(error).__name__}: {error}\n"
                         "  please report this with the problem that caused it\n")
        return 1
    failed = [d for s in solutions for d in s.derivations
              if d.checked is not None and not d.checked.passed]
    if failed:
        sys.stderr.write(f"matcalc: {len(failed)} result(s) failed the numeric check\n")
        return 1
    return 0


def deliver(output: str, path: str | None) -> None:
    """The output to the file asked for (whole or not at all), or to standard output."""
    if not path:
        sys.stdout.write(output)
        return
    try:
        write_atomically(path, output)
    except OSError as error:  # name the file asked for, not the temporary one
        raise OSError(f"cannot write {path}: {error.strerror or error}") from None


def print_text(solutions: list, args: argparse.Namespace) -> None:  # type: ignore[type-arg]
    from rich.console import Console

    from matcalc.render import notes
    from matcalc.render.printers import Notation
    from matcalc.render.text import solution_view

    console = Console(no_color=args.no_color or None, width=args.width, highlight=False)
    stated: set[str] = set()  # the layout is explained once per output
    for index, solution in enumerate(solutions):
        if index:
            console.print()
        console.print(solution_view(solution, Notation.of(solution.problem),
                                    brief=args.brief, notes=notes(solution, stated)))
