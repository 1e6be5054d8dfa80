"""The spelling tables: every ASCII, LaTeX and Unicode way of writing one thing → one name.

The grammar recognises the shape of a statement; these tables say what its words mean.
Data only; the functions come from the function table.
"""

from __future__ import annotations

import re

from matcalc import functions
from matcalc.greek import LETTERS

# \mu, μ and mu are one name: the ASCII spelling, which is also what the printers show.
GREEK = {
    "alpha": "alpha", "beta": "beta", "gamma": "gamma", "delta": "delta",
    "epsilon": "eps", "varepsilon": "eps", "eps": "eps", "zeta": "zeta", "eta": "eta",
    "theta": "theta", "vartheta": "theta", "iota": "iota", "kappa": "kappa",
    "lambda": "lambda", "mu": "mu", "nu": "nu", "xi": "xi", "pi": "pi", "rho": "rho",
    "sigma": "sigma", "tau": "tau", "upsilon": "upsilon", "phi": "phi", "varphi": "phi",
    "chi": "chi", "psi": "psi", "omega": "omega",
    "Gamma": "Gamma", "Delta": "Delta", "Theta": "Theta", "Lambda": "Lambda", "Xi": "Xi",
    "Pi": "Pi", "Sigma": "Sigma", "Upsilon": "Upsilon", "Phi": "Phi", "Psi": "Psi",
    "Omega": "Omega", "ell": "ell",
}

# μ → mu, and the variant glyphs ϵ and ϕ.
UNICODE_GREEK = {glyph: name for name, glyph in LETTERS.items()} | {"ϵ": "eps", "ϕ": "phi"}

# Function words → function names, from the function table (matcalc/functions.py).
ELEMENTWISE = {word: f.name for f in functions.ENTRYWISE for word in f.words}
MATRIX_FUNCTIONS = {word: f.name for f in functions.MATRIX_FUNCTIONS for word in f.words}
FUNCTIONS = functions.WORDS

# Why a fractional power of a matrix (S^{1/2}) is refused, as sqrtm is
SYLVESTER = ("the derivative of S^{1/2} solves the Sylvester equation S^{1/2} dX + dX S^{1/2} "
             "= dS, which matcalc does not write yet; sqrt(S) is the square root of each "
             "entry")

# Known functions without a derivative rule (not differentiable, or not supported yet).
UNSUPPORTED = {"max", "min", "argmax", "argmin", "round", "floor", "ceil"}

# A reduction over an index other than a sum over data (max_i x_i, prod_i, \sum_{n=2}…): read
# as a name it would become an abstract function max_i(…) and derive another problem.
NOUNS = {"sum": "sum", "prod": "product", "max": "maximum", "min": "minimum",
         "argmax": "argmax", "argmin": "argmin"}
REDUCTIONS = tuple(NOUNS)
REDUCTION_HINT = (
    "a sum over data is written \\sum_{n=1}^{N} (or sum_n) with y_n the entries of y and x_n "
    "the rows of X; write other sums with vectors: Σ_i x_i is sum(x) or 1_D^T x")


def reduction_over_index(text: str) -> str | None:
    """The reduction word of max_i, prod_{i} (one index letter or a braced group after the
    underscore), or None: max_loss is a name."""
    words = "|".join(REDUCTIONS)
    match = re.fullmatch(rf"\\?({words})_(?:[A-Za-z]|\{{.*)", text.strip())
    return match.group(1) if match else None


def reduction_hint(word: str) -> str:
    if word in ("sum", "prod"):
        return REDUCTION_HINT
    return (f"the {NOUNS[word]} of entries has no derivative where two entries tie, and "
            "matcalc has no rule for it; logsumexp(x) is a smooth maximum")


def reduction_error_text(word: str, written: str) -> str:
    return f"{written} is a {NOUNS[word]} over an index, which matcalc does not read yet"


# Well-known names that would otherwise be read as abstract functions (vec(X)ᵀvec(X) as a
# number squared): each is refused with the way to write it, unless declared differentiable.
WRITTEN_OTHERWISE = {
    "vec": "matcalc writes ∂vec F/∂vec X for every derivative of or by a matrix; "
           "differentiate the matrix itself (for ‖X‖_F² write tr(X^T X))",
    "kron": "write the Kronecker product as A \\otimes B or A ⊗ B",
    "dot": "write the inner product as x^T y or \\langle x, y \\rangle",
    "inner": "write the inner product as x^T y or \\langle x, y \\rangle",
    "outer": "write the outer product as x y^T",
    "transpose": "write X^T", "inverse": "write X^{-1} or inv(X)",
    "mean": "write the mean of x ∈ ℝ^D as sum(x)/D",
    "expm": "the matrix exponential is not supported",
    "logm": "the matrix logarithm is not supported",
    "sqrtm": "the matrix square root is not supported: " + SYLVESTER,
    "prod": "the product of the entries is not supported",
    "rank": "the rank is not differentiable", "eig": "eigenvalues are not supported",
    "svd": "the singular value decomposition is not supported",
    "chol": "the Cholesky factor is not supported",
}

# Written in an exponent: ^T, ^{T}, ^\top, ^\intercal, ^\mathsf{T} all mean transpose.
TRANSPOSE_MARKS = {"T", "top", "intercal", "tr_mark", "⊤"}

# Postfix marks: x', xᵀ, S⁻¹, S⁻ᵀ.
POSTFIX = {"'": "transpose", "ᵀ": "transpose", "⁻¹": "inverse", "⁻ᵀ": "inverse transpose"}

PROPERTIES = {
    "symmetric": "symmetric", "invertible": "invertible", "nonsingular": "invertible",
    "non-singular": "invertible", "diagonal": "diagonal", "orthogonal": "orthogonal",
    "positive definite": "positive definite", "constant": "constant",
    "binary": "binary", "one-hot": "one-hot", "sums to one": "sums to one",
}

# Grammar terminals in the words a student reads in an error message.
TERMINAL_WORDS = {
    "NAME": "a name", "NUMBER": "a number", "INT": "a number", "COMMAND": "a LaTeX command",
    "LPAR": "'('", "RPAR": "')'",
    "LSQB": "'['", "RSQB": "']'", "LBRACE": "'{'", "RBRACE": "'}'", "COMMA": "','",
    "SEMICOLON": "';'", "EQUAL": "'='", "PLUS": "'+'", "MINUS": "'-'", "SLASH": "'/'",
    "CIRCUMFLEX": "'^'", "MULOP": "an operator such as '*'", "POSTFIX": "a transpose mark",
    "NORM": "'||'",
    "SUPERSCRIPT": "a power such as ²", "_MINUS": "'-'", "_FULL_STOP": "'.'",
    "_LAYOUT_WORD": "'where' or 'and'", "ONES": "'𝟏'", "VBAR": "'|'", "IN": "'in'",
    "IS": "'is'", "FIND": "'find'",
    "REALS": "'R' (the real numbers)", "TIMES": "'x' or '\\times'", "PROPERTY": "a property",
    "PROPSEP": "','", "FRAC": "'\\frac'", "FONT": "'\\mathbf'", "EXP_ATOM": "an exponent",
    "_NL": "the end of the line", "$END": "the end of the input", "UNDERSCORE": "'_'",
    "DIFFERENTIABLE": "'differentiable'", "STAR": "'*'", "HEADING": "a heading",
    "PROBLEM_HEADER": "'problem:'",
}
