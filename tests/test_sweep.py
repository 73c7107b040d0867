"""analytic.sweep: arrays of configurations, exact int64, same rules and counts as the scalar API."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import analytic
from tests.strategies import module_configs


def _columns(cases):
    rows = []
    for layer, shape in cases:
        rows.append(layer | {"length": shape[-1], "batch": shape[0] if len(shape) == 3 else 1})
    keys = rows[0].keys()
    return rows, {k: np.array([r[k] for r in rows]) for k in keys}


@settings(max_examples=200)
@given(cases=st.lists(module_configs(max_length=10**5, max_channels_per_group=64, max_groups=8),
                      min_size=1, max_size=30))
def test_sweep_equals_the_scalar_breakdown_row_by_row(cases):
    _, columns = _columns(cases)
    out = analytic.sweep(**columns)
    assert out["valid"].all()
    for i, (layer, shape) in enumerate(cases):
        expected = analytic.ConvTranspose1d(**layer).breakdown(shape)
        assert {key: int(out[key][i]) for key in expected} == expected
    for key in analytic.CONVENTIONS:
        assert out[key].dtype == np.int64


small = st.integers(-2, 9)


@settings(max_examples=300)
@given(rows=st.lists(st.fixed_dictionaries({
    "in_channels": small, "out_channels": small, "kernel_size": small, "stride": small,
    "padding": small, "output_padding": small, "groups": small, "dilation": small,
    "length": small, "batch": small, "bias": st.booleans()}), min_size=1, max_size=20))
def test_sweep_validity_matches_the_scalar_rules(rows):
    columns = {k: np.array([r[k] for r in rows]) for k in rows[0]}
    out = analytic.sweep(**columns, on_invalid="mask")
    for i, r in enumerate(rows):
        layer = {k: v for k, v in r.items() if k not in ("length", "batch")}
        try:
            expected = analytic.ConvTranspose1d(**layer).breakdown((r["batch"], r["in_channels"], r["length"]))
        except ValueError:
            assert not out["valid"][i]
            assert all(out[key][i] == 0 for key in analytic.CONVENTIONS)
        else:
            assert out["valid"][i]
            assert out["exact"][i] == expected["exact"]
    if not out["valid"].all():
        first_bad = int(np.argmin(out["valid"]))
        with pytest.raises(ValueError, match=rf"invalid: row \({first_bad},\): "):
            analytic.sweep(**columns)


@settings(max_examples=200)
@given(length=st.integers(1, 10**17), channels=st.integers(1, 10**5), kernel=st.integers(1, 4096),
       stride=st.integers(1, 4096))
def test_sweep_is_exact_or_raises_overflow_never_wraps(length, channels, kernel, stride):
    layer = analytic.ConvTranspose1d(channels, channels, kernel, stride=stride)
    try:
        out = analytic.sweep(in_channels=channels, out_channels=channels, kernel_size=kernel,
                             stride=stride, length=np.array([length]))
    except OverflowError as error:
        assert "could exceed int64" in str(error)
        assert "driven by" in str(error)
        # the bound is conservative but not absurd: the true count is at least 2**62 / 10**3
        assert max(layer.ops((1, channels, length), c) for c in analytic.CONVENTIONS) > 2**62 // 10**3
        return
    for convention in analytic.CONVENTIONS:
        assert int(out[convention][0]) == layer.ops((1, channels, length), convention)


def test_sweep_overflow_names_the_parameter():
    with pytest.raises(OverflowError, match=r"driven by length=1000000000000"):
        analytic.sweep(in_channels=512, out_channels=256, kernel_size=16, stride=8,
                       length=np.array([10, 10**12]))
    with pytest.raises(OverflowError, match="length has values that do not fit in int64"):
        analytic.sweep(in_channels=1, out_channels=1, kernel_size=1, length=np.array([2**64], dtype=object))


def test_sweep_rejects_non_integer_arrays_by_name():
    with pytest.raises(TypeError, match=r"kernel_size must hold integers, got dtype float64"):
        analytic.sweep(in_channels=1, out_channels=1, kernel_size=np.array([2.0]), length=3)
    with pytest.raises(TypeError, match=r"stride must hold integers, got booleans"):
        analytic.sweep(in_channels=1, out_channels=1, kernel_size=2, stride=True, length=3)
    with pytest.raises(TypeError, match=r"bias must hold booleans"):
        analytic.sweep(in_channels=1, out_channels=1, kernel_size=2, bias=1, length=3)
    with pytest.raises(ValueError, match=r"on_invalid \('ignore'\) must be 'raise' or 'mask'"):
        analytic.sweep(in_channels=1, out_channels=1, kernel_size=2, length=3, on_invalid="ignore")


def test_sweep_broadcasts_scalars_and_grids():
    lengths = np.arange(1, 6)[:, None]
    strides = np.arange(1, 4)[None, :]
    out = analytic.sweep(in_channels=2, out_channels=2, kernel_size=4, stride=strides, length=lengths)
    assert out["exact"].shape == (5, 3)
    assert out["output_length"][4, 2] == analytic.output_length(5, 4, stride=3)
