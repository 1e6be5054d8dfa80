"""Deep problems: a result too long to write out stays in the named intermediates, and is
still right (against an independent numpy function); too many paths is a clear error."""

from __future__ import annotations

import numpy as np
import pytest

import matcalc
from matcalc.errors import MatcalcError
from tests.independent import numeric_gradient


def network(layers: int, residual: bool) -> str:
    lines = ["x in R^D", "A in R^{D x D}", "h0 = x"]
    for k in range(1, layers + 1):
        step = f"tanh(A h{k - 1})" + (f" + h{k - 1}" if residual else "")
        lines.append(f"h{k} = {step}")
    return "\n".join([*lines, f"f = h{layers}^T h{layers}", "find df/dx"])


def network_numpy(layers: int, residual: bool):  # type: ignore[no-untyped-def]
    def f(x, A):  # type: ignore[no-untyped-def]
        h = x
        for _ in range(layers):
            h = np.tanh(A @ h) + (h if residual else 0)
        return h @ h
    return f


@pytest.mark.parametrize("residual", [False, True], ids=["plain", "residual"])
def test_a_deep_network_is_kept_in_its_names_and_is_right(residual: bool) -> None:
    layers = 12
    solution = matcalc.solve(network(layers, residual))
    derivation = solution.derivations[0]
    assert derivation.checked is not None and derivation.checked.passed
    names = {str(s) for s in derivation.result.free_symbols}
    assert names - {"x", "A", "D"}, names  # an intermediate is kept by name
    assert any("named intermediates" in str(part) for remark in derivation.remarks
               for part in remark)
    rng = np.random.default_rng(4)
    values = {"x": rng.normal(size=3), "A": rng.normal(0, 0.5, size=(3, 3))}
    got = derivation.evaluate({"D": 3}, values)
    expected = numeric_gradient(network_numpy(layers, residual), values, "x")
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-8)


def test_a_textbook_result_is_written_out() -> None:
    derivation = matcalc.solve(network(2, False)).derivations[0]
    assert {str(s) for s in derivation.result.free_symbols} <= {"x", "A", "D"}


def test_too_many_paths_is_a_clear_error() -> None:
    lines = ["x in R", "a0 = x"] + [f"b{i} = sin(a{i - 1}); a{i} = b{i} + a{i - 1}"
                                    for i in range(1, 9)]
    with pytest.raises(MatcalcError, match="along 256 paths") as caught:
        matcalc.solve("\n".join([*lines, "f = a8", "find df/dx"]).replace("; ", "\n"))
    assert caught.value.span is not None
