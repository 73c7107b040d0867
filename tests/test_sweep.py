"""analytic.sweep: arrays of configurations, exact int64, same rules and counts as the scalar API."""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import analytic
from tests import reference
from tests.profiles import examples
from tests.strategies import filter_configs, module_configs


def _columns(cases):
    rows = []
    for layer, shape in cases:
        rows.append(layer | {"length": shape[-1], "batch": shape[0] if len(shape) == 3 else 1})
    keys = rows[0].keys()
    return rows, {k: np.array([r[k] for r in rows]) for k in keys}


@examples(200)
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


@examples(300)
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


INT64_MAX = 2**63 - 1


def _by_hand(layer, length, batch):
    """Every count of an unit-dilation row in Python ints, from the hand derivations of
    tests/reference.py (not from analytic, whose scalar API counts the sweep's rows near int64)."""
    geometry = {key: layer.get(key, 0) for key in ("padding", "output_padding")}
    geometry |= {"length": length, "kernel_size": layer["kernel_size"], "stride": layer.get("stride", 1)}
    out = (length - 1) * geometry["stride"] + layer["kernel_size"] - 2 * geometry["padding"] + geometry[
        "output_padding"]
    return reference.module_breakdown(
        batch=batch, in_channels=layer["in_channels"], out_channels=layer["out_channels"],
        groups=layer.get("groups", 1), bias=layer.get("bias", True), length=length,
        kernel_size=layer["kernel_size"], output_length=out,
        taps_kept=reference.taps_kept_by_columns(**geometry),
        covered_positions=reference.covered_positions_unit_dilation(**geometry))


def _exact_or_overflow(layer, length, batch=1, **config):
    """sweep on one row against the hand-derived counts: equal on every key when every count fits
    in int64, an OverflowError naming the quantity and the parameter otherwise (never a wraparound,
    never a refusal of counts that fit)."""
    expected = _by_hand(layer, length, batch)
    fits = all(abs(value) <= INT64_MAX for value in expected.values())
    try:
        out = analytic.sweep(**layer, length=np.array([length]), batch=batch, **config)
    except OverflowError as error:
        assert not fits, (expected, error)
        first = next(key for key, value in expected.items() if abs(value) > INT64_MAX)
        assert f"{first} ({expected[first]}) does not fit in int64 at row (0,), driven by " in str(error)
        return False
    assert fits
    assert {key: int(out[key][0]) for key in expected} == expected
    return True


@examples(200)
@given(length=st.integers(1, 10**17), channels=st.integers(1, 10**5), kernel=st.integers(1, 4096),
       stride=st.integers(1, 4096))
def test_sweep_is_exact_or_raises_overflow_never_wraps(length, channels, kernel, stride):
    layer = dict(in_channels=channels, out_channels=channels, kernel_size=kernel, stride=stride)
    _exact_or_overflow(layer, length)


@examples(300)
@given(length=st.integers(2**58, INT64_MAX), channels=st.integers(1, 3), kernel=st.integers(1, 4),
       stride=st.integers(1, 3), padding=st.integers(0, 2**62), batch=st.integers(1, 3), bias=st.booleans())
@example(length=307_445_734_561_825_861, channels=2, kernel=1, stride=1, padding=0, batch=3, bias=True)  # deepspeed's
def test_sweep_refuses_exactly_the_counts_beyond_int64(length, channels, kernel, stride, padding, batch, bias):
    # rows near 2**63: every count that fits is given exactly, even where a bound would have to guess
    layer = dict(in_channels=channels, out_channels=channels, kernel_size=kernel, stride=stride,
                 padding=padding, bias=bias)
    if (length - 1) * stride + kernel - 2 * padding < 1:  # padding too large: the sweep says so in its own words
        with pytest.raises(ValueError, match=r"1 of 1 configurations are invalid: row \(0,\): output length"):
            analytic.sweep(**layer, length=np.array([length]), batch=batch)
        return
    _exact_or_overflow(layer, length, batch=batch)


def test_sweep_counts_rows_near_int64_exactly_among_ordinary_and_invalid_rows():
    # length 10**18, kernel 1: every count is at most 2 * 10**18 < 2**63, so nothing is refused
    lengths = np.array([10, 10**18, 10**18, 7])
    paddings = np.array([0, 0, 10**18, 0])  # row 2: padding too large (invalid), near int64
    out = analytic.sweep(in_channels=1, out_channels=1, kernel_size=1, length=lengths, padding=paddings,
                         on_invalid="mask")
    assert out["valid"].tolist() == [True, True, False, True]
    for i in (0, 1, 3):
        expected = _by_hand(dict(in_channels=1, out_channels=1, kernel_size=1), int(lengths[i]), 1)
        assert {key: int(out[key][i]) for key in expected} == expected
    assert all(out[key][2] == 0 for key in analytic.CONVENTIONS)
    assert out["exact"][1] == 2 * 10**18
    with pytest.raises(ValueError, match=r"1 of 4 configurations are invalid: row \(2,\): output length"
                                         r" \(-1000000000000000000\)"):
        analytic.sweep(in_channels=1, out_channels=1, kernel_size=1, length=lengths, padding=paddings)
    scalar = analytic.sweep(in_channels=1, out_channels=1, kernel_size=1, length=10**18)
    assert scalar["exact"].shape == () and scalar["exact"] == 2 * 10**18


def test_sweep_overflow_names_the_quantity_and_the_parameter():
    # by hand, unpadded: L_out = 8n + 8, T = 16n, A = 8n - 8, psi = 512*256, lambda = 16 L_out + A,
    # gamma = 256 L_out * 512, so moduleprofiler = psi * (lambda + L_out) = 131072 * (144n + 128)
    value = 131072 * (144 * 10**12 + 128)
    with pytest.raises(OverflowError, match=rf"moduleprofiler \({value}\) does not fit in int64 "
                                            r"at row \(1,\), driven by length=1000000000000"):
        analytic.sweep(in_channels=512, out_channels=256, kernel_size=16, stride=8,
                       length=np.array([10, 10**12]))
    with pytest.raises(OverflowError, match="length has values that do not fit in int64"):
        analytic.sweep(in_channels=1, out_channels=1, kernel_size=1, length=np.array([2**64], dtype=object))


def test_sweep_rejects_non_integer_arrays_by_name():
    with pytest.raises(TypeError, match=r"kernel_size must hold integers, got dtype float64"):
        analytic.sweep(in_channels=1, out_channels=1, kernel_size=np.array([2.0]), length=3)
    with pytest.raises(TypeError, match=r"stride must hold integers, got booleans"):
        analytic.sweep(in_channels=1, out_channels=1, kernel_size=2, stride=True, length=3)
    with pytest.raises(TypeError, match=r"bias must hold booleans \(or 0 and 1\)"):
        analytic.sweep(in_channels=1, out_channels=1, kernel_size=2, bias=2, length=3)
    with pytest.raises(ValueError, match=r"on_invalid \('ignore'\) must be 'raise' or 'mask'"):
        analytic.sweep(in_channels=1, out_channels=1, kernel_size=2, length=3, on_invalid="ignore")


def test_sweep_broadcasts_scalars_and_grids():
    lengths = np.arange(1, 6)[:, None]
    strides = np.arange(1, 4)[None, :]
    out = analytic.sweep(in_channels=2, out_channels=2, kernel_size=4, stride=strides, length=lengths)
    assert out["exact"].shape == (5, 3)
    assert out["output_length"][4, 2] == analytic.output_length(5, 4, stride=3)


@given(config=filter_configs(max_length=40, max_dilation=1))
def test_the_hand_derived_counts_equal_brute_force(config):
    # the reference the near-int64 rows are checked against, itself checked by listing every tap
    histogram = reference.tap_histogram(**config)
    geometry = {k: v for k, v in config.items() if k != "dilation"}
    assert reference.taps_kept_by_columns(**config) == sum(histogram)
    assert reference.covered_positions_unit_dilation(**geometry) == sum(1 for c in histogram if c)


@examples(300)
@given(per_group_in=st.integers(1, 2**40), per_group_out=st.integers(1, 2**40), groups=st.integers(1, 2**20),
       kernel=st.integers(1, 4), stride=st.integers(1, 4), length=st.integers(1, 10**6))
def test_sweep_with_huge_channels_is_exact_or_raises_overflow(per_group_in, per_group_out, groups, kernel, stride,
                                                             length):
    # C_in * C_out can pass 2**63 while C_in * C_out / groups fits: computed as (C_in/groups) * C_out
    layer = dict(in_channels=per_group_in * groups, out_channels=per_group_out * groups, groups=groups,
                 kernel_size=kernel, stride=stride)
    _exact_or_overflow(layer, length)


def test_sweep_refuses_floats_and_text_in_object_arrays():
    with pytest.raises(TypeError, match=r"in_channels must be an int, got float \(2\.5\)"):
        analytic.sweep(in_channels=np.array([2.5], dtype=object), out_channels=2, kernel_size=3, length=5)
    with pytest.raises(TypeError, match=r"length must be an int, got str"):
        analytic.sweep(in_channels=2, out_channels=2, kernel_size=3, length=np.array(["5"], dtype=object))
    assert analytic.sweep(in_channels=2, out_channels=2, kernel_size=3, length=5, bias=1)["ptflops"] == \
        analytic.ConvTranspose1d(2, 2, 3).ops((1, 2, 5), "ptflops")
