"""Validation agrees with torch: what torch rejects is rejected with a clear error, and only that."""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

import analytic
import empirical
from tests.profiles import examples

small = st.integers(-2, 9)


def torch_accepts(layer, shape):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = torch.nn.ConvTranspose1d(**layer)
            module(torch.ones(shape))
    except (RuntimeError, ValueError, IndexError):
        return False
    return True


def analytic_accepts(layer, shape):
    try:
        analytic.ConvTranspose1d(**layer).ops(shape)
    except (ValueError, TypeError) as error:
        named = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding", "groups",
                 "dilation", "input_shape", "length", "output length", "batch")
        assert any(name in str(error) for name in named), error  # a message naming the parameter
        return False
    return True


@pytest.mark.slow
@given(
    in_channels=small, out_channels=small, kernel_size=small, stride=small, padding=small,
    output_padding=small, groups=small, dilation=small, length=small,
    batch=st.one_of(st.none(), st.integers(1, 2)), bias=st.booleans(),
)
@example(in_channels=1, out_channels=1, kernel_size=3, stride=1, padding=0, output_padding=0,
         groups=1, dilation=1, length=2, batch=None, bias=False)
@example(in_channels=1, out_channels=1, kernel_size=1, stride=1, padding=1, output_padding=0,
         groups=1, dilation=1, length=1, batch=1, bias=True)  # L_out = -1
@example(in_channels=1, out_channels=1, kernel_size=3, stride=2, padding=0, output_padding=2,
         groups=1, dilation=3, length=2, batch=1, bias=True)  # o < d although o >= s
def test_validity_agrees_with_torch(in_channels, out_channels, kernel_size, stride, padding,
                                    output_padding, groups, dilation, length, batch, bias):
    layer = dict(in_channels=in_channels, out_channels=out_channels, kernel_size=kernel_size,
                 stride=stride, padding=padding, output_padding=output_padding, groups=groups,
                 dilation=dilation, bias=bias)
    shape = (in_channels, length) if batch is None else (batch, in_channels, length)
    assert analytic_accepts(layer, shape) == torch_accepts(layer, shape)


CONFIG = dict(length=4, kernel_size=3, stride=2, padding=1, output_padding=1, dilation=1)


@pytest.mark.parametrize(
    ("change", "error", "pattern"),
    [
        ({"length": 0}, ValueError, r"length \(0\) must be positive"),
        ({"length": -3}, ValueError, r"length \(-3\) must be positive"),
        ({"kernel_size": 0}, ValueError, r"kernel_size \(0\) must be positive"),
        ({"stride": 0}, ValueError, r"stride \(0\) must be positive"),
        ({"dilation": -1}, ValueError, r"dilation \(-1\) must be positive"),
        ({"padding": -1}, ValueError, r"padding \(-1\) must be non-negative"),
        ({"output_padding": -1}, ValueError, r"output_padding \(-1\) must be non-negative"),
        ({"output_padding": 2}, ValueError,
         r"output_padding \(2\) must be smaller than stride \(2\) or dilation \(1\)"),
        ({"padding": 6}, ValueError, r"output length \(-2\) must be at least 1"),
        ({"length": 4.0}, TypeError, r"length must be an int, got float"),
        ({"kernel_size": True}, TypeError, r"kernel_size must be an int, got bool"),
        ({"stride": "2"}, TypeError, r"stride must be an int, got str"),
        ({"padding": None}, TypeError, r"padding must be an int, got NoneType"),
    ],
)
@pytest.mark.parametrize(
    "count",
    [analytic.output_length, analytic.additions_per_filter, analytic.exact_additions_per_filter,
     empirical.additions_per_filter, empirical.exact_additions_per_filter],
)
def test_bad_filter_values_name_the_parameter_and_rule(count, change, error, pattern):
    with pytest.raises(error, match=pattern):
        count(**(CONFIG | change))


@pytest.mark.parametrize(
    ("change", "error", "pattern"),
    [
        ({"in_channels": 0}, ValueError, r"in_channels \(0\) must be positive"),
        ({"out_channels": -2}, ValueError, r"out_channels \(-2\) must be positive"),
        ({"groups": 0}, ValueError, r"groups \(0\) must be positive"),
        ({"groups": 4}, ValueError, r"in_channels \(6\) must be divisible by groups \(4\)"),
        ({"groups": 3, "out_channels": 4}, ValueError,
         r"out_channels \(4\) must be divisible by groups \(3\)"),
        ({"bias": "False"}, TypeError, r"bias must be a bool \(or None, 0, 1\), got str"),
        ({"kernel_size": (3, 3)}, ValueError, r"kernel_size must be an int or a 1-tuple"),
        ({"padding_mode": "reflect"}, ValueError, r"padding_mode \('reflect'\) must be 'zeros'"),
        ({"output_padding": 3}, ValueError, r"output_padding \(3\) must be smaller than stride"),
    ],
)
def test_bad_layer_values_name_the_parameter_and_rule(change, error, pattern):
    with pytest.raises(error, match=pattern):
        analytic.ConvTranspose1d(**({"in_channels": 6, "out_channels": 6, "kernel_size": 3,
                                     "stride": 2} | change))


@pytest.mark.parametrize(
    ("shape", "error", "pattern"),
    [
        ((1, 5, 10), ValueError, r"has 5 channels, the layer expects in_channels=6"),
        ((6,), ValueError, r"must have 3 \(batched\) or 2 \(unbatched\) dimensions"),
        ((1, 1, 6, 10), ValueError, r"must have 3 \(batched\) or 2 \(unbatched\) dimensions"),
        ((1, 6, 0), ValueError, r"length \(input_shape\[-1\]\) \(0\) must be positive"),
        ((-1, 6, 4), ValueError, r"batch size \(input_shape\[0\]\) \(-1\) must be positive"),
        # torch runs no check at all on an empty batch (dilation 0 and length 0 "work"): refused
        ((0, 6, 4), ValueError, r"batch size \(input_shape\[0\]\) \(0\) must be positive"),
        ("1,6,4", TypeError, r"input_shape must be a tuple of ints"),
        ((1, 6, 4.5), TypeError, r"input_shape must be an int, got float"),
    ],
)
def test_bad_input_shapes_are_rejected(shape, error, pattern):
    layer = analytic.ConvTranspose1d(6, 6, 3, stride=2)
    with pytest.raises(error, match=pattern):
        layer.ops(shape)


def test_unknown_convention_lists_the_valid_ones():
    layer = analytic.ConvTranspose1d(1, 1, 3)
    with pytest.raises(ValueError, match=r"convention \('mac'\) must be one of moduleprofiler, exact"):
        layer.ops((1, 1, 4), "mac")
    with pytest.raises(ValueError, match="convention"):
        empirical.ops(torch.nn.ConvTranspose1d(1, 1, 3), (1, 1, 4), "mac")


def test_from_module_rejects_other_modules_and_padding_modes():
    with pytest.raises(TypeError, match=r"module must be a torch\.nn\.ConvTranspose1d, got Conv1d"):
        analytic.ConvTranspose1d.from_module(torch.nn.Conv1d(1, 1, 3))
    module = torch.nn.ConvTranspose1d(1, 1, 3)
    module.padding_mode = "circular"  # torch's constructor refuses it; a user's code may not
    with pytest.raises(ValueError, match="padding_mode"):
        analytic.ConvTranspose1d.from_module(module)


def test_sizes_accept_index_types_and_one_tuples():
    import numpy as np

    assert analytic.output_length(np.int64(2), np.int32(3)) == 4
    layer = analytic.ConvTranspose1d(2, 2, (3,), stride=(2,), padding=(1,), dilation=(1,))
    assert (layer.kernel_size, layer.stride, layer.padding) == (3, 2, 1)


@given(n=small, k=small, s=small, p=small, o=small, d=small, c_in=small, c_out=small, g=small)
def test_rule_predicates_equal_the_checks_that_raise(n, k, s, p, o, d, c_in, c_out, g):
    # filter_ok/layer_ok (used element-wise by analytic.sweep) and plain_output_length (the fast
    # path of check_filter and of additions_per_filter) state the same rules as the checks that
    # raise the messages (check_kernel, then check_length: no fast path there)
    from analytic.core.validation import (
        check_kernel,
        check_layer,
        check_length,
        filter_ok,
        layer_ok,
        plain_output_length,
    )

    def accepts(check, *args):
        try:
            check(*args)
        except ValueError:
            return False
        return True

    def slow_check(n, k, s, p, o, d):
        return check_length(n, *check_kernel(k, s, p, o, d))

    valid = accepts(slow_check, n, k, s, p, o, d)
    assert bool(filter_ok(n, k, s, p, o, d)) == valid
    assert plain_output_length(n, k, s, p, o, d) == ((n - 1) * s - 2 * p + d * (k - 1) + o + 1 if valid else 0)
    assert bool(layer_ok(c_in, c_out, g)) == accepts(check_layer, c_in, c_out, g, True)


def _torch_accepts(**keywords):
    try:
        torch.nn.ConvTranspose1d(2, 2, **{"kernel_size": 3} | keywords)
    except (TypeError, ValueError, RuntimeError, AssertionError):
        return False
    return True


@pytest.mark.parametrize("keywords", [
    {"bias": 1}, {"bias": 0}, {"bias": None}, {"bias": np.bool_(True)}, {"bias": np.bool_(False)},
    {"kernel_size": np.array([3])}, {"stride": np.array([2])}, {"stride": torch.tensor([2])},
    {"kernel_size": [3]}, {"dtype": torch.float64}, {"dtype": torch.complex64}, {"device": "meta"},
    {"device": torch.device("cpu")},
])
def test_what_torch_accepts_is_accepted(keywords):
    assert _torch_accepts(**keywords)
    layer = analytic.ConvTranspose1d(2, 2, **{"kernel_size": 3} | keywords)
    module = torch.nn.ConvTranspose1d(2, 2, **{"kernel_size": 3} | keywords)
    assert layer.bias == (module.bias is not None)
    assert (layer.kernel_size, layer.stride) == (module.kernel_size[0], module.stride[0])


@pytest.mark.parametrize(("keywords", "error", "pattern"), [
    ({"kernel_size": np.array(3)}, TypeError, r"kernel_size must be an int or a tuple of ints, got a 0-d ndarray"),
    ({"dtype": "garbage"}, TypeError, r"dtype must be a torch\.dtype, got str"),
    ({"dtype": torch.int64}, ValueError, r"dtype \(torch\.int64\) must be a floating-point or complex dtype"),
    ({"device": "nonsense"}, ValueError, r"device \('nonsense'\) is not a torch device"),
])
def test_what_torch_refuses_is_refused(keywords, error, pattern):
    assert not _torch_accepts(**keywords)
    with pytest.raises(error, match=pattern):
        analytic.ConvTranspose1d(2, 2, **{"kernel_size": 3} | keywords)


keyword_values = st.dictionaries(
    st.sampled_from(["length", "kernel_size", "stride", "padding", "output_padding", "dilation", "batch",
                     "in_channels", "out_channels", "groups", "bias", "length_1", "kernel_size_1", "stride_1",
                     "padding_1", "output_padding_1", "dilation_1"]),
    st.integers(-1, 5))


@given(values=keyword_values)
@example(values={"bias": 2})
@example(values={"length": 1, "kernel_size": 1, "stride": 1, "padding": 1, "output_padding": 0, "dilation": 1})
def test_keyword_predicate_equals_the_keyword_checks(values):
    # keywords_ok (element-wise, behind the exported NumPy functions) states check_keywords' rules
    from analytic.core.validation import check_keywords, keywords_ok

    try:
        check_keywords(values)
    except ValueError:
        accepted = False
    else:
        accepted = True
    assert bool(keywords_ok(values)) == accepted
    columns = {k: np.array([v, v]) for k, v in values.items()}
    assert bool(np.all(keywords_ok(columns))) == accepted


def test_the_keywords_are_the_symbols():
    from analytic.core.validation import KEYWORDS
    from analytic.symbolic import symbols

    assert sorted(KEYWORDS) == sorted(symbols.BY_NAME)


@pytest.mark.slow
@given(st.dictionaries(st.sampled_from(["length", "kernel_size", "stride", "padding", "output_padding", "dilation"]),
                       st.integers(0, 6), min_size=3, max_size=5))
@examples(150, deadline=None)
def test_conditions_of_a_partial_configuration_admit_exactly_its_valid_completions(given_values):
    # the conditions a partial configuration leaves hold for exactly the completions torch's rules
    # accept (checked over every completion in a small range); values no completion makes valid are
    # refused
    import itertools

    import sympy

    from analytic.core import rules
    from analytic.core.validation import check_keywords
    from analytic.symbolic import symbols
    from analytic.symbolic.constraints import conditions

    keys = ["length", "kernel_size", "stride", "padding", "output_padding", "dilation"]
    free = [k for k in keys if k not in given_values]
    try:
        check_keywords(given_values)
    except ValueError:
        return  # a value breaks its own rule: the command line refuses it before (tested elsewhere)
    valid_completions = []
    for combination in itertools.product(range(0, 8), repeat=len(free)):
        values = dict(given_values, **dict(zip(free, combination, strict=True)))
        try:
            check_keywords(values)
            valid_completions.append(values)
        except ValueError:
            pass
    try:
        found = conditions(given_values, (rules.TRANSPOSED,))
    except ValueError:
        assert not valid_completions
        return
    for combination in itertools.product(range(0, 8), repeat=len(free)):
        values = dict(given_values, **dict(zip(free, combination, strict=True)))
        substitution = {symbols.BY_NAME[k]: sympy.Integer(v) for k, v in values.items()}
        own = all(v >= (0 if "padding" in k else 1) for k, v in values.items())
        holds = own and all(bool(c.xreplace(substitution)) for c in found)
        assert holds == (values in valid_completions), (values, found)
