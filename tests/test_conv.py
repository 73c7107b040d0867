"""Forward convolutions: the lattice read the other way, against brute force, torch and the tools."""

import contextlib
import io
import warnings

import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

import analytic
import empirical
from analytic.core.forward import conv_filter_counts
from tests.helpers import deepspeed_total, fvcore_total, ptflops_total, thop_total, torch_flops, torchinfo_total
from tests.profiles import examples

TORCH = {1: torch.nn.Conv1d, 2: torch.nn.Conv2d, 3: torch.nn.Conv3d}
SPEC = {1: analytic.Conv1d, 2: analytic.Conv2d, 3: analytic.Conv3d}


def brute_force(n, k, s, pl, pr, d):
    """(L_out, real taps, outputs with a real tap), by listing every output's taps."""
    out = (n + pl + pr - d * (k - 1) - 1) // s + 1
    real = [sum(1 for m in range(k) if 0 <= j * s + m * d - pl < n) for j in range(out)]
    return out, sum(real), sum(1 for c in real if c)


@st.composite
def conv_filters(draw, max_length=30, max_kernel=12, max_stride=9, max_dilation=9, max_padding=20):
    """One filter of a convolution that torch accepts: the padded input reaches the kernel."""
    k = draw(st.integers(1, max_kernel), label="kernel_size")
    d = draw(st.integers(1, max_dilation), label="dilation")
    s = draw(st.integers(1, max_stride), label="stride")
    pl = draw(st.integers(0, max_padding), label="padding_left")
    pr = draw(st.integers(0, max_padding), label="padding_right")
    n = draw(st.integers(max(1, d * (k - 1) + 1 - pl - pr), max(1, d * (k - 1) + 1 - pl - pr) + max_length),
             label="length")
    return n, k, s, pl, pr, d


@given(geometry=conv_filters())
@example(geometry=(3, 6, 7, 12, 12, 5))  # no real tap at all, yet an interior output (n < d)
@example(geometry=(5, 3, 1, 1, 1, 1))
@example(geometry=(2, 4, 1, 3, 3, 3))  # n < d: every output holds at most one real tap
def test_filter_counts_equal_brute_force(geometry):
    assert tuple(conv_filter_counts(*geometry)) == brute_force(*geometry)


@st.composite
def conv_layers(draw, dims=None, modes=("zeros", "reflect", "replicate", "circular")):
    """(dims, layer keywords, input shape) of a convolution torch accepts."""
    dims = dims or draw(st.sampled_from([1, 2, 3]), label="dims")
    groups = draw(st.integers(1, 3), label="groups")
    mode = draw(st.sampled_from(modes), label="padding_mode")
    kernel, stride, dilation, padding, spatial = [], [], [], [], []
    same = draw(st.sampled_from(["same", "valid", None]), label="padding string")
    for _ in range(dims):
        k, d = draw(st.integers(1, 4)), draw(st.integers(1, 3))
        s = 1 if same == "same" else draw(st.integers(1, 3))
        p = draw(st.integers(0 if mode == "zeros" else -1, 3))  # F.pad crops with a negative padding
        need = d * (k - 1) + 1
        pad = {"same": d * (k - 1), "valid": 0}.get(same, 2 * p)
        low = max(1, need - pad, (max(p, d * (k - 1) - d * (k - 1) // 2) + 1) if mode != "zeros" else 1)
        kernel.append(k)
        stride.append(s)
        dilation.append(d)
        padding.append(p)
        spatial.append(draw(st.integers(low, low + 8)))
    layer = dict(in_channels=groups * draw(st.integers(1, 3)), out_channels=groups * draw(st.integers(1, 3)),
                 kernel_size=tuple(kernel), stride=tuple(stride), dilation=tuple(dilation),
                 padding=same or tuple(padding), groups=groups, bias=draw(st.booleans()), padding_mode=mode)
    batch = draw(st.one_of(st.none(), st.integers(1, 2)), label="batch")
    shape = (layer["in_channels"], *spatial) if batch is None else (batch, layer["in_channels"], *spatial)
    return dims, layer, shape


@examples(300)
@given(case=conv_layers())
def test_counts_equal_torch_all_ones(case):
    # ones through the real module: its output gives L_out, the real taps and the covered outputs
    dims, layer, shape = case
    spec = SPEC[dims](**layer)
    module = TORCH[dims](**layer)
    measured = empirical.measure(module, shape)
    assert spec.breakdown(shape) == measured
    with torch.no_grad():
        assert tuple(module(torch.ones(shape)).shape) == spec.output_shape(shape)


small = st.integers(-1, 4)


@examples(400)
@given(k=small, s=small, p=st.one_of(small, st.sampled_from(["same", "valid", "full"])), d=small, n=small,
       groups=st.integers(1, 2), mode=st.sampled_from(["zeros", "reflect", "replicate", "circular", "wrap"]))
def test_validity_agrees_with_torch(k, s, p, d, n, groups, mode):
    def torch_accepts():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                m = torch.nn.Conv1d(2, 2, k, stride=s, padding=p, dilation=d, groups=groups, padding_mode=mode)
                m(torch.ones((1, 2, n)))
        except (RuntimeError, ValueError, IndexError, TypeError):
            return False
        return True

    def analytic_accepts():
        try:
            analytic.Conv1d(2, 2, k, stride=s, padding=p, dilation=d, groups=groups, padding_mode=mode).ops((1, 2, n))
        except ValueError:
            return False
        return True

    assert analytic_accepts() == torch_accepts()


@pytest.mark.slow
@examples(150)
@given(case=conv_layers())
def test_conventions_equal_the_tools(case):
    dims, layer, shape = case
    ours = SPEC[dims](**layer).breakdown(shape)
    batched = shape if len(shape) == dims + 2 else (1, *shape)
    assert torch_flops(TORCH[dims](**layer), shape) == ours["flops"]
    # fvcore has no handler for torch's string paddings (aten::_convolution_mode): it reports 0
    # (another padding_mode pads first and convolves with padding 0, which it counts)
    string = isinstance(layer["padding"], str) and layer["padding_mode"] == "zeros"
    fvcore_expected = 0 if string else ours["macs"]
    assert fvcore_total(TORCH[dims](**layer), shape) == fvcore_expected
    assert ptflops_total(TORCH[dims](**layer), shape, "aten") == ours["ptflops"]
    assert ptflops_total(TORCH[dims](**layer), batched, "pytorch") * batched[0] == ours["ptflops"]
    assert thop_total(TORCH[dims](**layer), batched) == ours["thop"]
    assert torchinfo_total(TORCH[dims](**layer), batched) == ours["torchinfo"]
    # DeepSpeed reads a string padding its own way ('same' as d*(k-1)//2 on both sides)
    if not string:
        assert deepspeed_total(TORCH[dims](**layer), batched) == ours["deepspeed"]


moduleprofiler = pytest.importorskip("moduleprofiler")


@examples(150)
@given(case=st.sampled_from([1, 2]).flatmap(lambda dims: conv_layers(dims=dims)))
def test_moduleprofiler_convention_equals_the_package(case):
    # the package's Conv1d/Conv2d formula, run through its own profiler; it reads a 3-d input of a
    # Conv2d as a batch (a batched input is given to it), and sums in floats (small layers here)
    dims, layer, shape = case
    batched = shape if len(shape) == dims + 2 else (1, *shape)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reported = moduleprofiler.ModuleProfiler().estimate_ops(TORCH[dims](**layer), torch.ones(batched))
    assert reported["__root__"]["ops"] == SPEC[dims](**layer).ops(shape, "moduleprofiler")


@examples(200)
@given(case=conv_layers(dims=1, modes=("zeros",)))
def test_symbolic_expressions_equal_the_layer(case):
    # one definition: the numeric formulas evaluated on SymPy symbols, then on integers again
    from analytic import symbolic

    _, layer, shape = case
    if isinstance(layer["padding"], str):
        return  # the expressions take a symmetric integer padding
    spec = analytic.Conv1d(**layer)
    values = {"length": shape[-1], "kernel_size": spec.kernel_size, "stride": spec.stride, "padding": spec.padding,
              "dilation": spec.dilation, "in_channels": spec.in_channels, "out_channels": spec.out_channels,
              "groups": spec.groups, "batch": shape[0] if len(shape) == 3 else 1}
    breakdown = spec.breakdown(shape)
    for key in symbolic.CONV_QUANTITIES:
        assert symbolic.evaluate(symbolic.conv_quantity(key), layer="Conv1d", **values) == breakdown[key], key
    for convention in analytic.CONVENTIONS:
        expr = symbolic.conv_ops(convention, bias=layer["bias"])
        assert symbolic.evaluate(expr, layer="Conv1d", **values) == breakdown[convention], convention
    with pytest.raises(ValueError, match="shorter than the kernel's reach"):
        symbolic.evaluate(symbolic.conv_quantity("taps_kept"), layer="Conv1d", length=1, kernel_size=3)
