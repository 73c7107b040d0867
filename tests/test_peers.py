"""Each peer convention equals what the installed tool itself reports, on random layers.

The tools are run as their users run them (fvcore's ``FlopCountAnalysis``, ptflops'
``get_model_complexity_info``, thop's ``profile``, torchinfo's ``summary``, torch's
``FlopCounterMode``) on real torch modules: 1-d, 2-d and 3-d transposed convolutions with random
geometry, groups, bias, and batched or unbatched input.  Where a tool reads an input oddly
(unbatched input, weight-normalised layers), the test pins what it does and what tapcount gives
instead, as the README says.
"""

import contextlib
import io
import math
import warnings

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import analytic
from tests.helpers import (
    deepspeed_total,
    fvcore_total,
    ptflops_total,
    quietly,
    thop_total,
    torch_flops,
    torchinfo_total,
)
from tests.profiles import examples
from tests.strategies import module_configs, nd_module_configs

fvcore_nn = pytest.importorskip("fvcore.nn")
ptflops = pytest.importorskip("ptflops")
thop = pytest.importorskip("thop")
torchinfo = pytest.importorskip("torchinfo")

TORCH = {1: torch.nn.ConvTranspose1d, 2: torch.nn.ConvTranspose2d, 3: torch.nn.ConvTranspose3d}
SPEC = {1: analytic.ConvTranspose1d, 2: analytic.ConvTranspose2d, 3: analytic.ConvTranspose3d}


@st.composite
def layers(draw, batched=None):
    """(dims, layer keywords, input shape): a random valid 1-d, 2-d or 3-d transposed convolution
    with groups, bias and a batched (or, unless ``batched``, unbatched) input."""
    dims = draw(st.sampled_from([1, 2, 3]), label="dims")
    layer, shape = draw(module_configs(max_length=30) if dims == 1 else nd_module_configs(dims))
    if batched and len(shape) == dims + 1:
        shape = (draw(st.integers(1, 3), label="batch"), *shape)
    return dims, layer, shape


def _module(dims, layer):
    return TORCH[dims](**layer)


def _ours(dims, layer, shape, convention):
    return SPEC[dims](**layer).ops(shape, convention)


def _batched(dims, shape):
    return shape if len(shape) == dims + 2 else (1, *shape)


@examples(200)
@given(case=layers())
def test_macs_is_fvcore(case):
    # fvcore counts N*C_out*(C_in/groups)*L_in*k for a transposed convolution, batched or not
    dims, layer, shape = case
    assert fvcore_total(_module(dims, layer), shape) == _ours(dims, layer, shape, "macs")


@examples(300)
@given(case=layers())
def test_flops_is_torch_flop_counter(case):
    dims, layer, shape = case
    assert torch_flops(_module(dims, layer), shape) == _ours(dims, layer, shape, "flops")


@examples(200)
@given(case=layers())
def test_ptflops_is_ptflops(case):
    # ptflops' default (pytorch) backend reports the average over the batch, one sample; its aten
    # backend reports the whole call.  tapcount's ptflops is the whole call.
    dims, layer, shape = case
    ours = _ours(dims, layer, shape, "ptflops")
    assert ptflops_total(_module(dims, layer), shape, "aten") == ours
    batched = _batched(dims, shape)
    assert ptflops_total(_module(dims, layer), batched, "pytorch") * batched[0] == ours


@examples(200)
@given(case=layers())
def test_thop_is_thop(case):
    # thop reads the first dimension as the batch: an unbatched input is given to it with its batch of 1
    dims, layer, shape = case
    assert thop_total(_module(dims, layer), _batched(dims, shape)) == _ours(dims, layer, shape, "thop")


@examples(200)
@given(case=layers())
def test_torchinfo_is_torchinfo(case):
    # torchinfo's total_mult_adds; like thop it reads the first dimension as the batch
    dims, layer, shape = case
    assert torchinfo_total(_module(dims, layer), _batched(dims, shape)) == _ours(dims, layer, shape, "torchinfo")


@examples(150)
@given(case=layers())
def test_deepspeed_is_deepspeed(case):
    # DeepSpeed's flops profiler patches F.conv_transpose*d: twice the macs, plus the bias per output
    dims, layer, shape = case
    assert deepspeed_total(_module(dims, layer), _batched(dims, shape)) == _ours(dims, layer, shape, "deepspeed")


def test_unbatched_input_is_misread_by_ptflops_thop_and_torchinfo():
    # (C_in, L_in) = (6, 7) read as a batch of 6: the tools report other numbers than for the same
    # call with its batch of 1, which is what tapcount counts (and what fvcore and torch report)
    layer = dict(in_channels=6, out_channels=4, kernel_size=5, stride=3, padding=2, groups=2)
    spec = analytic.ConvTranspose1d(**layer)
    module = torch.nn.ConvTranspose1d(**layer)
    assert spec.ops((6, 7), "macs") == fvcore_total(module, (6, 7)) == spec.ops((1, 6, 7), "macs")
    assert spec.ops((6, 7), "flops") == torch_flops(module, (6, 7))
    assert ptflops_total(torch.nn.ConvTranspose1d(**layer), (6, 7), "pytorch") != spec.ops((6, 7), "ptflops")
    assert torchinfo_total(torch.nn.ConvTranspose1d(**layer), (6, 7)) != spec.ops((6, 7), "torchinfo")
    # thop multiplies by input_size[1]//groups, here L_in//groups: another length shows it
    assert thop_total(torch.nn.ConvTranspose1d(**layer), (6, 9)) != spec.ops((6, 9), "thop")


def test_torchinfo_on_weight_normalised_layers():
    # torchinfo finds no parameter named "weight" on a weight-normalised layer: with the old
    # weight_norm it charges weight_g and weight_v once per batch and output channel (not per
    # output position), with the new parametrization nothing at all.  tapcount counts the layer.
    from torch.nn.utils import parametrizations

    layer = dict(in_channels=6, out_channels=4, kernel_size=5, stride=3, padding=2, groups=2)
    shape = (2, 6, 7)
    ours = analytic.ConvTranspose1d(**layer).ops(shape, "torchinfo")
    assert torchinfo_total(torch.nn.ConvTranspose1d(**layer), shape) == ours
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old = torch.nn.utils.weight_norm(torch.nn.ConvTranspose1d(**layer))
    new = parametrizations.weight_norm(torch.nn.ConvTranspose1d(**layer))
    # old style: (weight_g + weight_v) * N * C_out + bias * N * C_out * L_out, from torchinfo's rule
    # for parameters whose name merely contains "weight"
    out_length = analytic.output_length(7, 5, stride=3, padding=2)
    assert torchinfo_total(old, shape) == (6 + 6 * 2 * 5) * 2 * 4 + 4 * 2 * out_length
    assert torchinfo_total(new, shape) == 0
    assert analytic.profile(torch.nn.Sequential(old), shape).total["torchinfo"] == ours
    assert analytic.profile(torch.nn.Sequential(new), shape).total["torchinfo"] == ours


@st.composite
def linear_layers(draw):
    """(keywords, input shape) of a torch.nn.Linear with 1 to 3 leading dimensions."""
    layer = dict(in_features=draw(st.integers(1, 9)), out_features=draw(st.integers(1, 9)), bias=draw(st.booleans()))
    leading = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    return layer, (*leading, layer["in_features"])


@examples(150)
@given(case=linear_layers())
def test_linear_conventions_equal_the_tools(case):
    import moduleprofiler

    layer, shape = case
    ours = analytic.Linear(**layer).breakdown(shape)
    assert torch_flops(torch.nn.Linear(**layer), shape) == ours["flops"]
    assert fvcore_total(torch.nn.Linear(**layer), shape) == ours["macs"]
    assert thop_total(torch.nn.Linear(**layer), shape) == ours["thop"]
    assert torchinfo_total(torch.nn.Linear(**layer), shape) == ours["torchinfo"]  # first dimension only
    assert ptflops_total(torch.nn.Linear(**layer), shape, "aten") == ours["ptflops"]
    if len(shape) > 1:  # ptflops needs a batch dimension to average over
        assert ptflops_total(torch.nn.Linear(**layer), shape, "pytorch") * shape[0] == ours["ptflops"]
    with contextlib.redirect_stdout(io.StringIO()):
        reported = moduleprofiler.ModuleProfiler().estimate_ops(torch.nn.Linear(**layer), torch.ones(shape))
    assert reported["__root__"]["ops"] == ours["moduleprofiler"]
    # the exact count: k products and k - 1 additions per output, one more with the bias, by enumeration
    outputs = math.prod(shape[:-1]) * layer["out_features"]
    assert ours["exact"] == sum(layer["in_features"] + (layer["in_features"] - 1) + layer["bias"]
                                for _ in range(outputs))


@examples(300)
@given(case=layers(batched=True))
def test_moduleprofiler_package_equals_the_convention_but_where_its_bugs_are_listed(case):
    # docs/conventions.md: the package (0.0.4) computes its documented model for ConvTranspose1d/2d
    # but drops output_padding, reads an unbatched input's channels as its batch and sums in float32;
    # on every other transposed layer it reports tapcount's moduleprofiler column exactly
    moduleprofiler = pytest.importorskip("moduleprofiler")
    dims, layer, shape = case
    if dims == 3 or len(shape) != dims + 2:
        return  # it has no ConvTranspose3d formula; unbatched input is the listed bug
    ours = _ours(dims, layer, shape, "moduleprofiler")
    try:
        reported = quietly(moduleprofiler.ModuleProfiler().estimate_ops, _module(dims, layer),
                           torch.ones(shape))["__root__"]["ops"]
    except RuntimeError:
        assert any(o > 0 for o in ((layer["output_padding"],) if isinstance(layer["output_padding"], int)
                                   else layer["output_padding"]))  # the listed crash: output only from it
        return
    if any(o > 0 for o in ((layer["output_padding"],) if isinstance(layer["output_padding"], int)
                           else layer["output_padding"])) or ours > 2**24:
        return  # the listed departures: output_padding dropped, float32 sums
    assert reported == ours
