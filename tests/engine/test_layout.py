"""--layout denominator: every problem in problems/ passes its numeric check, and the numeric
contract (Derivation.evaluate) is the same array in both layouts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import matcalc
from matcalc.check import canonical, random_sizes, random_values, result_value
from tests.conftest import PROBLEMS


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.stem)
def test_every_problem_checks_in_denominator_layout(path: Path) -> None:
    numerator = matcalc.solve_file(path, check=False)
    denominator = matcalc.solve_file(path, layout="denominator")
    rng = np.random.default_rng(3)
    for one, other in zip(numerator, denominator, strict=True):
        for d_num, d_den in zip(one.derivations, other.derivations, strict=True):
            assert d_den.checked is not None and d_den.checked.passed, d_den.checked
            if d_den.checked.trials == 0 or d_num.taylor is not None:
                continue  # abstract functions: nothing to evaluate; a polynomial: no layout
            problem = d_num.problem
            assert problem is not None
            sizes = random_sizes(problem, rng)
            values = random_values(problem, sizes, rng, positive=True)
            arrays = [canonical(result_value(d, values, sizes), d, sizes)
                      for d in (d_num, d_den)]
            np.testing.assert_allclose(arrays[0], arrays[1], rtol=1e-9, atol=1e-12)
            by_vector = d_num.wrt_symbol.is_Matrix and d_num.wrt_symbol.shape[1] == 1
            of = d_num.of_symbol
            of_vector = not of.is_Matrix or of.shape[1] == 1
            flipped = d_num.shape.dims[::-1] if by_vector and of_vector else d_num.shape.dims
            assert d_den.shape.dims == flipped




def test_a_result_kept_in_names_writes_a_layer_s_slope_through_its_output() -> None:
    """diag(1 − tanh(m)²) where the problem names h8 = tanh(m) is diag(1 − h8²), as a
    textbook writes backpropagation; t tanh(t) is no function of tanh(t) alone and stays."""
    import numpy as np

    import matcalc
    from tests.independent import assert_derivative

    layers = 8
    text = "\n".join(["x in R^D", *(f"W{k} in R^{{D x D}}" for k in range(1, layers + 1)),
                      "h0 = x", *(f"h{k} = tanh(W{k} h{k - 1})" for k in range(1, layers + 1)),
                      f"f = h{layers}^T h{layers}", "find df/dx"])
    result = matcalc.solve(text).to_text(width=300).split("Result")[1].split("Written")[0]
    assert "diag(1 − h8²) W8 diag(1 − h7²) W7" in result and "tanh" not in result
    rng = np.random.default_rng(4)
    values = {"x": rng.normal(size=3), **{f"W{k}": rng.normal(size=(3, 3)) / 2
                                          for k in range(1, layers + 1)}}

    def network(x: np.ndarray, **weights: np.ndarray) -> float:
        h = x
        for k in range(1, layers + 1):
            h = np.tanh(weights[f"W{k}"] @ h)
        return float(h @ h)

    assert_derivative(text, network, {"D": 3}, values)
