"""analytic == empirical (torch) over wide grids: per filter and for whole modules."""

import pytest
import torch
from hypothesis import example, given

import analytic
import empirical
from tests.reference import all_ones_additions, exact_additions
from tests.strategies import filter_configs, module_configs

EDGE_CASES = [
    # the tap diagram of moduleprofiler's documentation: y = [1, 2, 2, 1], two additions
    dict(length=2, kernel_size=3, stride=1, padding=0, output_padding=0, dilation=1),
    # gaps: stride larger than the kernel's reach
    dict(length=3, kernel_size=2, stride=5, padding=0, output_padding=0, dilation=1),
    # dilation leaving holes: taps at 0 and 3, y = [1, 0, 0, 1]
    dict(length=1, kernel_size=2, stride=1, padding=0, output_padding=0, dilation=3),
    dict(length=4, kernel_size=3, stride=2, padding=0, output_padding=0, dilation=4),
    # padding at least the stride: cropping cuts into overlapping taps
    dict(length=5, kernel_size=4, stride=2, padding=3, output_padding=0, dilation=1),
    dict(length=7, kernel_size=9, stride=3, padding=11, output_padding=2, dilation=2),
    # output_padding > 0 with padding 0: positions past the last tap
    dict(length=3, kernel_size=2, stride=3, padding=0, output_padding=2, dilation=1),
    # L_out = 1
    dict(length=1, kernel_size=3, stride=1, padding=1, output_padding=0, dilation=1),
    dict(length=2, kernel_size=1, stride=3, padding=2, output_padding=2, dilation=1),
]


def with_edge_cases(test):
    for case in EDGE_CASES:
        test = example(config=case)(test)
    return test


@given(config=filter_configs())
@with_edge_cases
def test_output_length_matches_torch(config):
    y = empirical.all_ones_output(**config)
    assert analytic.output_length(**config) == y.shape[-1]


@given(config=filter_configs())
@with_edge_cases
def test_all_ones_additions_match_torch_all_ones(config):
    assert analytic.additions_per_filter(**config) == empirical.additions_per_filter(**config)


@given(config=filter_configs())
@with_edge_cases
def test_exact_additions_match_torch_all_ones(config):
    assert analytic.exact_additions_per_filter(**config) == empirical.exact_additions_per_filter(**config)


@given(config=filter_configs(max_length=40, max_padding=25))
@with_edge_cases
def test_counts_match_brute_force_enumeration(config):
    assert analytic.additions_per_filter(**config) == all_ones_additions(**config)
    assert analytic.exact_additions_per_filter(**config) == exact_additions(**config)


def test_documented_all_ones_snippet_literally():
    # The all-ones snippet of moduleprofiler's documentation, as printed (float32, unbatched (1, 2) input): 2 additions.
    x = torch.ones((1, 2))
    convtranspose1d = torch.nn.ConvTranspose1d(in_channels=1, out_channels=1, kernel_size=3, bias=False)
    with torch.no_grad():
        convtranspose1d.weight.fill_(1.0)
    additions = torch.sum(convtranspose1d(x) - 1.0)
    assert additions.item() == analytic.additions_per_filter(length=2, kernel_size=3)
    assert empirical.additions_per_filter(length=2, kernel_size=3) == 2
    assert type(empirical.additions_per_filter(length=2, kernel_size=3)) is int


@pytest.mark.slow
@given(case=module_configs())
@example(case=({"kernel_size": 3, "stride": 1, "padding": 0, "output_padding": 0, "dilation": 1,
                "in_channels": 1, "out_channels": 1, "groups": 1, "bias": False}, (1, 2)))
@example(case=({"kernel_size": 4, "stride": 3, "padding": 0, "output_padding": 2, "dilation": 1,
                "in_channels": 6, "out_channels": 4, "groups": 2, "bias": True}, (6, 5)))
def test_module_totals_match_a_real_module(case):
    layer, shape = case
    module = torch.nn.ConvTranspose1d(**layer)
    spec = analytic.ConvTranspose1d(**layer)
    assert analytic.ConvTranspose1d.from_module(module) == spec
    measured = empirical.measure(module, shape)
    assert spec.breakdown(shape) == measured
    for convention in ("moduleprofiler", "exact"):
        assert spec.ops(shape, convention) == empirical.ops(module, shape, convention)
    # the real forward on the real shape has the output length the closed form predicts
    assert module(torch.randn(shape)).shape[-1] == measured["output_length"]


@pytest.mark.slow
@given(case=module_configs())
def test_exact_total_read_directly_off_the_all_ones_output(case):
    # Independent of module_counts: with ones everywhere each product is 1, so the output's sum is
    # the number of multiplications, and an output element holding v > 0 products needs v - 1
    # additions, plus one for the bias.
    layer, shape = case
    module = torch.nn.ConvTranspose1d(**layer, dtype=torch.float64)
    with torch.no_grad():
        module.weight.fill_(1.0)
        if module.bias is not None:
            module.bias.zero_()
        y = module(torch.ones(shape, dtype=torch.float64))
    b = 1 if layer["bias"] else 0
    multiplications = int(y.sum())
    additions = int((y[y > 0] - 1 + b).sum())
    spec = analytic.ConvTranspose1d(**layer)
    assert spec.breakdown(shape)["exact_multiplications"] == multiplications
    assert spec.breakdown(shape)["exact_additions"] == additions
    assert spec.ops(shape, "exact") == multiplications + additions
