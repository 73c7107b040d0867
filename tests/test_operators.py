"""The exact count of every operator formula against its defining formula run on counting numbers.

Each reference (tests/counting.py) computes the operator's values from its defining formula, the
formula the README's table states; the test checks those values against torch's output, so the
reference is the operator, and checks that the operations it performed — counted by running it —
equal the exact count tapcount's profile gives the call (through the whole pipeline: the counting
mode on the meta device, the registry, the formula).
"""

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.nn import functional as F

import analytic
from tests import counting as c
from tests.profiles import examples

SQRT2 = math.sqrt(2.0)


class Call(torch.nn.Module):
    """A module that calls one function: the profile sees the operators it runs."""

    def __init__(self, function):
        super().__init__()
        self.function = function

    def forward(self, *inputs):
        return self.function(*inputs)


def exact(function, *inputs, device="meta") -> int:
    """The exact count of ``function(*inputs)`` in tapcount's profile (every row)."""
    prof = analytic.profile(Call(function), example_inputs=tuple(inputs), device=device)
    assert not prof.uncounted, prof.uncounted
    return sum(r.counts["exact"] for r in prof.rows)


def reference(definition, *arrays):
    """``definition`` applied element by element to counting numbers (broadcast): the values and
    the operations performed."""
    c.reset()
    broadcast = np.broadcast_arrays(*(c.counted(a) for a in arrays))
    out = np.empty(broadcast[0].shape, dtype=object)
    for index in np.ndindex(out.shape):
        out[index] = definition(*(b[index] for b in broadcast))
    return c.values(out), c.count()


def _softplus(x, beta=1.0, threshold=20.0):
    scaled = x if beta == 1.0 else beta * x
    soft = c.fn.log(1.0 + c.fn.exp(scaled))
    return c.where(scaled > threshold, x, soft if beta == 1.0 else soft / beta)


def _sigmoid(x):
    return 1.0 / (1.0 + c.fn.exp(-x))


def _sinc(x):
    """``x == 0 ? 1 : sin(pi x) / (pi x)``, every part computed whichever is chosen, as for every
    formula of the table (at 0 the quotient's divisor is replaced by 1: counted, not raised)."""
    scaled = math.pi * x
    zero = c.equal(x, 0.0)
    return c.where(zero, 1.0, c.fn.sin(scaled) / (c.Counted(1.0) if zero else scaled))


def _hardsigmoid(x):
    return c.minimum(c.maximum(x + 3.0, 0.0), 6.0) / 6.0


#: name -> (torch's function, the defining formula on one element, input range)
UNARY = {
    "relu": (torch.relu, lambda x: c.maximum(x, 0.0)),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), lambda x: c.where(x > 0.0, x, 0.1 * x)),
    "relu6": (F.relu6, lambda x: c.minimum(c.maximum(x, 0.0), 6.0)),
    "hardtanh": (lambda x: F.hardtanh(x, -0.5, 0.5), lambda x: c.minimum(c.maximum(x, -0.5), 0.5)),
    "elu": (F.elu, lambda x: c.where(x > 0.0, x, 1.0 * (c.fn.exp(x) - 1.0))),
    "selu": (torch.selu, lambda x: 1.0507009873554805 * c.where(
        x > 0.0, x, 1.6732632423543772 * (c.fn.exp(x) - 1.0))),
    "celu": (lambda x: F.celu(x, 0.5), lambda x: c.where(x > 0.0, x, 0.5 * (c.fn.exp(x / 0.5) - 1.0))),
    "gelu": (F.gelu, lambda x: x * (1.0 + c.fn.erf(x / SQRT2)) / 2.0),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), lambda x: x / 2.0 * (1.0 + c.fn.tanh(
        math.sqrt(2.0 / math.pi) * (x + 0.044715 * (x * x * x))))),
    "sigmoid": (torch.sigmoid, _sigmoid),
    "silu": (F.silu, lambda x: x * _sigmoid(x)),
    "mish": (F.mish, lambda x: x * c.fn.tanh(_softplus(x))),
    "hardsigmoid": (F.hardsigmoid, _hardsigmoid),
    "hardswish": (F.hardswish, lambda x: x * _hardsigmoid(x)),
    "softplus": (F.softplus, _softplus),
    "softplus_beta": (lambda x: F.softplus(x, beta=2.0), lambda x: _softplus(x, beta=2.0)),
    "logsigmoid": (F.logsigmoid, lambda x: -_softplus(-x)),
    "hardshrink": (lambda x: F.hardshrink(x, 0.5), lambda x: c.where(c.absolute(x) > 0.5, x, 0.0)),
    "softshrink": (lambda x: F.softshrink(x, 0.5), lambda x: c.where(x > 0.5, x - 0.5, c.where(x < -0.5, x + 0.5,
                                                                                                0.0))),
    "threshold": (lambda x: F.threshold(x, 0.1, 2.0), lambda x: c.where(x > 0.1, x, 2.0)),
    "tanh": (torch.tanh, c.fn.tanh),
    "exp": (torch.exp, c.fn.exp),
    "log1p": (torch.log1p, c.fn.log1p),
    "sin": (torch.sin, c.fn.sin),
    "erf": (torch.erf, c.fn.erf),
    "abs": (torch.abs, c.absolute),
    "neg": (torch.neg, lambda x: 0.0 - x),
    "reciprocal": (torch.reciprocal, lambda x: 1.0 / x),
    "square": (torch.square, lambda x: x * x),
    "rsqrt_of_abs": (lambda x: torch.rsqrt(x.abs() + 1), lambda x: c.fn.rsqrt(c.absolute(x) + 1.0)),
    "pow3": (lambda x: x**3, lambda x: c.fn.pow(x, 3.0)),
    "clamp": (lambda x: x.clamp(-1.0, 1.0), lambda x: c.minimum(c.maximum(x, -1.0), 1.0)),
    "clamp_min": (lambda x: x.clamp_min(0.5), lambda x: c.maximum(x, 0.5)),
    "floor": (torch.floor, c.floor),
    "add_scalar": (lambda x: x + 2.0, lambda x: x + 2.0),
    "mul_scalar": (lambda x: x * 3.0, lambda x: x * 3.0),
    "rsub": (lambda x: 1.0 - x, lambda x: 1.0 - x),
    "deg2rad": (torch.deg2rad, lambda x: x * (math.pi / 180.0)),
    "rad2deg": (torch.rad2deg, lambda x: x * (180.0 / math.pi)),
    "sinc": (torch.sinc, lambda x: _sinc(x)),
    "logit": (torch.logit, lambda x: c.fn.log(x / (1.0 - x))),
    "logit_eps": (lambda x: torch.logit(x, 0.25), lambda x: (lambda z: c.fn.log(z / (1.0 - z)))(
        c.minimum(c.maximum(x, 0.25), 0.75))),
    "angle": (torch.angle, lambda x: c.where(x < 0.0, math.pi, 0.0)),
    "rrelu": (lambda x: F.rrelu(x, 0.1, 0.3), lambda x: c.where(x >= 0.0, x, x * 0.2)),
}

#: name -> (torch's function of two tensors, the defining formula on one pair of elements)
BINARY = {
    "add": (torch.add, lambda a, b: a + b),
    "add_alpha": (lambda a, b: torch.add(a, b, alpha=2.0), lambda a, b: a + 2.0 * b),
    "sub": (torch.sub, lambda a, b: a - b),
    "mul": (torch.mul, lambda a, b: a * b),
    "div": (torch.div, lambda a, b: a / b),
    "div_floor": (lambda a, b: torch.div(a, b, rounding_mode="floor"), lambda a, b: c.floor(a / b)),
    "maximum": (torch.maximum, c.maximum),
    "gt": (torch.gt, lambda a, b: float(a > b)),
    "atan2": (torch.atan2, c.fn.atan2),
    "hypot": (torch.hypot, lambda a, b: c.fn.sqrt(a * a + b * b)),
    "xlogy": (torch.xlogy, lambda a, b: a * c.fn.log(b)),
    "lerp": (lambda a, b: torch.lerp(a, b, 0.3), lambda a, b: a + 0.3 * (b - a)),
    "addcmul": (lambda a, b: torch.addcmul(a, a, b, value=0.5), lambda a, b: a + 0.5 * (a * b)),
    "heaviside": (torch.heaviside, lambda a, b: c.where(c.equal(a, 0.0), b, c.where(a > 0.0, 1.0, 0.0))),
    "logaddexp": (torch.logaddexp, lambda a, b: c.fn.log(c.fn.exp(a) + c.fn.exp(b))),
    "logaddexp2": (torch.logaddexp2, lambda a, b: c.fn.log2(c.fn.exp2(a) + c.fn.exp2(b))),
}


shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)


@st.composite
def arrays(draw, shape=None, low=-3.0, high=3.0):
    shape = draw(shapes) if shape is None else shape
    values = draw(st.lists(st.floats(low, high, allow_nan=False, width=32), min_size=math.prod(shape),
                           max_size=math.prod(shape)))
    return np.array(values, dtype=np.float64).reshape(shape)


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_operators_count_their_defining_formula(name):
    function, definition = UNARY[name]

    @given(arrays())
    @examples(15, deadline=None)
    def check(x):
        if name in ("reciprocal", "log1p"):  # keep away from the poles
            x = np.abs(x) + 0.5
        if name == "logit":  # inside (0, 1)
            x = (np.abs(x) + 0.5) / 4.0
        expected, operations = reference(definition, x)
        produced = function(torch.from_numpy(x)).double().numpy()
        np.testing.assert_allclose(expected, produced, rtol=1e-6, atol=1e-9)
        assert exact(function, torch.from_numpy(x)) == operations

    check()


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_operators_count_their_defining_formula_with_broadcasting(name):
    function, definition = BINARY[name]

    @given(shapes, st.data())
    @examples(15, deadline=None)
    def check(shape, data):
        # a second operand of a broadcastable shape: some sizes 1, maybe fewer dimensions
        other = tuple(data.draw(st.sampled_from([1, n])) for n in shape)[data.draw(st.integers(0, len(shape) - 1)):]
        a, b = data.draw(arrays(shape)), data.draw(arrays(other or (1,), 0.5, 3.0))
        if name.startswith("div"):
            b = np.abs(b) + 0.5
        expected, operations = reference(definition, a, b)
        produced = function(torch.from_numpy(a), torch.from_numpy(b)).double().numpy()
        np.testing.assert_allclose(expected, produced, rtol=1e-6, atol=1e-9)
        assert exact(function, torch.from_numpy(a), torch.from_numpy(b)) == operations

    check()


def _lines(x: np.ndarray, dims) -> tuple[np.ndarray, tuple]:
    """``x`` with the reduced dimensions moved last and flattened: one row per output element."""
    dims = tuple(d % x.ndim for d in dims)
    kept = [d for d in range(x.ndim) if d not in dims]
    moved = np.moveaxis(x, dims, tuple(range(x.ndim - len(dims), x.ndim)))
    return moved.reshape(*(x.shape[d] for d in kept), -1), tuple(x.shape[d] for d in kept)


def _mean(row):
    return c.total(row) / float(len(row))


def _var(row, correction=1):
    mean = _mean(row)
    deviations = [v - mean for v in row]
    return c.total([d * d for d in deviations]) / float(len(row) - correction)


#: name -> (torch's reduction of x over dims, the defining formula of one output from its row)
REDUCTIONS = {
    "sum": (lambda x, d: x.sum(d), c.total),
    "mean": (lambda x, d: x.mean(d), _mean),
    "var": (lambda x, d: x.var(d), _var),
    "var_biased": (lambda x, d: x.var(d, correction=0), lambda r: _var(r, 0)),
    "std": (lambda x, d: x.std(d), lambda r: c.fn.sqrt(_var(r))),
    "amax": (lambda x, d: x.amax(d), c.largest),
    "logsumexp": (lambda x, d: x.logsumexp(d), lambda r: c.fn.log(c.total([c.fn.exp(v) for v in r]))),
    "norm2": (lambda x, d: torch.linalg.vector_norm(x, 2, d), lambda r: c.fn.sqrt(c.total([v * v for v in r]))),
    "norm1": (lambda x, d: torch.linalg.vector_norm(x, 1, d), lambda r: c.total([c.absolute(v) for v in r])),
    "norm_inf": (lambda x, d: torch.linalg.vector_norm(x, float("inf"), d),
                 lambda r: c.largest([c.absolute(v) for v in r])),
    "norm3": (lambda x, d: torch.linalg.vector_norm(x, 3, d), lambda r: c.fn.pow(
        c.total([c.fn.pow(c.absolute(v), 3.0) for v in r]), 1.0 / 3.0)),
    "prod": (lambda x, d: x.prod(d[0]) if len(d) == 1 else x.flatten().prod(), lambda r: _product(r)),
}


def _product(row):
    result = row[0]
    for v in row[1:]:
        result = result * v
    return result


@st.composite
def reductions(draw):
    x = draw(arrays(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple))))
    dims = draw(st.lists(st.integers(0, x.ndim - 1), min_size=1, max_size=x.ndim, unique=True).map(tuple))
    return x, dims


@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reductions_count_their_defining_formula(name):
    function, definition = REDUCTIONS[name]

    @given(reductions())
    @examples(15, deadline=None)
    def check(drawn):
        x, dims = drawn
        if name == "prod" and len(dims) > 1:
            dims = tuple(range(x.ndim))
        if (name.startswith("var") or name == "std") and math.prod(x.shape[d] for d in dims) < 2:
            return  # the corrected variance of one element divides by zero
        rows, _kept = _lines(x, dims)
        c.reset()
        out = [definition(list(c.counted(row))) for row in rows.reshape(-1, rows.shape[-1])]
        operations = c.count()
        produced = function(torch.from_numpy(x), dims).double().numpy().reshape(-1)
        np.testing.assert_allclose(c.values(out), produced, rtol=1e-6, atol=1e-9)
        assert exact(lambda t: function(t, dims), torch.from_numpy(x)) == operations

    check()


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "cumsum"])
def test_softmax_and_cumulative_sums_count_their_defining_formula(name):
    @given(reductions())
    @examples(15, deadline=None)
    def check(drawn):
        x, dims = drawn
        dim = dims[0]
        rows, _ = _lines(x, (dim,))
        c.reset()
        out = []
        for row in rows.reshape(-1, rows.shape[-1]):
            row = list(c.counted(row))
            if name == "softmax":
                e = [c.fn.exp(v) for v in row]
                s = c.total(e)
                out.append([v / s for v in e])
            elif name == "log_softmax":
                log_total = c.fn.log(c.total([c.fn.exp(v) for v in row]))
                out.append([v - log_total for v in row])
            else:
                running = [row[0]]
                for v in row[1:]:
                    running.append(running[-1] + v)
                out.append(running)
        operations = c.count()
        function = {"softmax": lambda t: torch.softmax(t, dim), "log_softmax": lambda t: torch.log_softmax(t, dim),
                    "cumsum": lambda t: torch.cumsum(t, dim)}[name]
        produced = np.moveaxis(function(torch.from_numpy(x)).double().numpy(), dim, -1).reshape(-1)
        np.testing.assert_allclose(c.values(out).reshape(-1), produced, rtol=1e-6, atol=1e-9)
        assert exact(function, torch.from_numpy(x)) == operations

    check()


def _normalise(rows, eps, weight=None, bias=None):
    """Each row ``(x - mean) / sqrt(var + eps)``, then ``* weight + bias``: the defining formula."""
    out = []
    for row in rows:
        mean = _mean(row)
        deviations = [v - mean for v in row]
        scale = c.fn.sqrt(c.total([d * d for d in deviations]) / float(len(row)) + eps)
        out.append([d / scale for d in deviations])
    return out


def _affine(values, weight, bias):
    if weight is not None:
        values = values * weight
    if bias is not None:
        values = values + bias
    return values


@given(st.integers(1, 3), st.integers(1, 4), st.lists(st.integers(1, 3), min_size=0, max_size=2), st.booleans(),
       st.booleans(), st.data())
@examples(20, deadline=None)
def test_batch_norm_in_both_modes_counts_its_defining_formula(n, channels, spatial, affine, training, data):
    shape = (n, channels, *spatial)
    if training and n * math.prod(spatial) < 2:
        return  # torch refuses batch statistics of one value per channel
    x = data.draw(arrays(shape))
    module = torch.nn.BatchNorm1d(channels, affine=affine) if len(shape) <= 3 else torch.nn.BatchNorm2d(
        channels, affine=affine)
    module = module.double().train(training)
    with torch.no_grad():
        module.running_mean.uniform_(-1, 1)
        module.running_var.uniform_(0.5, 2)
        if affine:
            module.weight.uniform_(0.5, 2)
            module.bias.uniform_(-1, 1)
    running_mean, running_var = module.running_mean.numpy().copy(), module.running_var.numpy().copy()
    per_channel = np.moveaxis(x, 1, 0).reshape(channels, -1)
    c.reset()
    values = []
    for channel, row in enumerate(per_channel):
        row = list(c.counted(row))
        if training:
            size = len(row)
            mean = _mean(row)
            deviations = [v - mean for v in row]
            var = c.total([d * d for d in deviations]) / float(size)
            std = c.fn.sqrt(var + module.eps)
            normalised = [d / std for d in deviations]
            # the running statistics: (1 - m) r + m s, the variance unbiased by M / (M - 1)
            (1 - module.momentum) * c.Counted(running_mean[channel]) + module.momentum * mean
            (1 - module.momentum) * c.Counted(running_var[channel]) + module.momentum * (var * (size / (size - 1)))
        else:
            std = c.fn.sqrt(c.Counted(running_var[channel]) + module.eps)
            normalised = [(v - c.Counted(running_mean[channel])) / std for v in row]
        if affine:
            w, b = c.Counted(module.weight[channel].item()), c.Counted(module.bias[channel].item())
            normalised = [v * w + b for v in normalised]
        values.append(normalised)
    operations = c.count() + training  # the module counts its batches in training: num_batches_tracked += 1
    with torch.no_grad():
        produced = np.moveaxis(copy_module(module)(torch.from_numpy(x)).numpy(), 1, 0).reshape(channels, -1)
    np.testing.assert_allclose(c.values(values), produced, rtol=1e-6, atol=1e-8)
    assert exact(module, torch.from_numpy(x)) == operations


def copy_module(module):
    import copy

    return copy.deepcopy(module)


@given(st.lists(st.integers(1, 3), min_size=1, max_size=2), st.integers(1, 5), st.sampled_from(["both", "weight",
                                                                                                 "none"]),
       st.data())
@examples(20, deadline=None)
def test_layer_norm_counts_its_defining_formula(leading, width, affine, data):
    x = data.draw(arrays((*leading, width)))
    module = torch.nn.LayerNorm(width, elementwise_affine=affine != "none", bias=affine == "both").double()
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(0.5, 2)
    c.reset()
    rows = _normalise([list(c.counted(row)) for row in x.reshape(-1, width)], module.eps)
    if affine != "none":
        w = [c.Counted(v) for v in module.weight.detach().numpy()]
        b = [c.Counted(v) for v in module.bias.detach().numpy()] if affine == "both" else None
        rows = [[v * w[i] + (b[i] if b else 0.0) if b else v * w[i] for i, v in enumerate(row)] for row in rows]
    operations = c.count()
    with torch.no_grad():
        produced = module(torch.from_numpy(x)).numpy().reshape(-1, width)
    np.testing.assert_allclose(c.values(rows), produced, rtol=1e-6, atol=1e-8)
    assert exact(module, torch.from_numpy(x)) == operations


@given(st.integers(1, 2), st.sampled_from([(1, 2), (2, 2), (2, 4), (3, 3)]), st.integers(1, 4), st.booleans(),
       st.data())
@examples(15, deadline=None)
def test_group_norm_counts_its_defining_formula(n, groups_channels, spatial, affine, data):
    groups, channels = groups_channels
    if channels // groups * spatial < 2:
        return  # torch refuses a group of one value
    x = data.draw(arrays((n, channels, spatial)))
    module = torch.nn.GroupNorm(groups, channels, affine=affine).double()
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(0.5, 2)
    c.reset()
    rows = _normalise([list(c.counted(row)) for row in x.reshape(n * groups, -1)], module.eps)
    out = np.array(c.values(rows)).reshape(n, channels, spatial)
    if affine:
        w = [c.Counted(v) for v in module.weight.detach().numpy()]
        b = [c.Counted(v) for v in module.bias.detach().numpy()]
        flat = [v for row in rows for v in row]
        per = [flat[i] * w[(i // spatial) % channels] + b[(i // spatial) % channels] for i in range(len(flat))]
        out = c.values(per).reshape(n, channels, spatial)
    operations = c.count()
    with torch.no_grad():
        produced = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(out, produced, rtol=1e-6, atol=1e-8)
    assert exact(module, torch.from_numpy(x)) == operations


@given(st.integers(1, 4), st.integers(1, 3), st.integers(1, 4), st.data())
@examples(15, deadline=None)
def test_weight_normalisation_counts_its_defining_formula(out_channels, in_channels, kernel, data):
    v = data.draw(arrays((out_channels, in_channels, kernel), 0.5, 2.0))
    g = data.draw(arrays((out_channels, 1, 1), 0.5, 2.0))
    c.reset()
    weights = []
    for slice_, gain in zip(v.reshape(out_channels, -1), g.reshape(-1), strict=True):
        row = list(c.counted(slice_))
        norm = c.fn.sqrt(c.total([x * x for x in row]))
        factor = c.Counted(gain) / norm
        weights.append([x * factor for x in row])
    operations = c.count()
    produced = torch._weight_norm(torch.from_numpy(v), torch.from_numpy(g), 0).numpy().reshape(out_channels, -1)
    np.testing.assert_allclose(c.values(weights), produced, rtol=1e-6)
    assert exact(lambda a, b: torch._weight_norm(a, b, 0), torch.from_numpy(v), torch.from_numpy(g)) == operations


def _window(start, kernel, step, size):
    """The input positions window ``start`` reads (``start + m * step``), inside ``[0, size)``."""
    return [start + m * step for m in range(kernel) if 0 <= start + m * step < size]


@st.composite
def poolings(draw, dilated=True):
    dims = draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims)) if dilated else (1,) * dims
    spatial = tuple(draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), 7))
                    for k, p, d in zip(kernel, padding, dilation, strict=True))
    x = draw(arrays((draw(st.integers(1, 2)), draw(st.integers(1, 2)), *spatial)))
    return x, kernel, stride, padding, dilation, draw(st.booleans())


def _pool_windows(x, out_shape, kernel, stride, padding, dilation):
    """Every output position of a pooling with the input indices its window reads."""
    import itertools

    dims = len(kernel)
    spatial = x.shape[-dims:]
    for lead in np.ndindex(*x.shape[:-dims]):
        for position in np.ndindex(*out_shape[-dims:]):
            axes = [_window(o * s - p, k, d, n) for o, s, p, k, d, n in
                    zip(position, stride, padding, kernel, dilation, spatial, strict=True)]
            yield lead + position, [lead + index for index in itertools.product(*axes)]


@given(poolings())
@examples(25, deadline=None)
def test_max_pooling_counts_the_comparisons_of_its_real_elements(drawn):
    x, kernel, stride, padding, dilation, ceil_mode = drawn
    pool = {1: F.max_pool1d, 2: F.max_pool2d}[len(kernel)]

    def function(t):
        return pool(t, kernel, stride, padding, dilation, ceil_mode)

    produced = function(torch.from_numpy(x)).numpy()
    xs = c.counted(x)
    c.reset()
    out = np.empty(produced.shape, dtype=object)
    for position, window in _pool_windows(x, produced.shape, kernel, stride, padding, dilation):
        # a window of padding alone (a dilation can make one) is -inf, compared with nothing
        out[position] = c.largest([xs[tuple(i)] for i in window]) if window else c.Counted(-math.inf)
    operations = c.count()
    np.testing.assert_allclose(c.values(out), produced)
    assert exact(function, torch.from_numpy(x)) == operations


@given(poolings(dilated=False), st.booleans())
@examples(25, deadline=None)
def test_average_pooling_adds_and_divides_its_real_elements(drawn, include_pad):
    x, kernel, stride, padding, _, ceil_mode = drawn
    pool = {1: F.avg_pool1d, 2: F.avg_pool2d}[len(kernel)]

    def function(t):
        return pool(t, kernel, stride, padding, ceil_mode, include_pad)

    produced = function(torch.from_numpy(x)).numpy()
    xs = c.counted(x)
    dims = len(kernel)
    c.reset()
    out = np.empty(produced.shape, dtype=object)
    for position, window in _pool_windows(x, produced.shape, kernel, stride, padding, (1,) * dims):
        # torch's divisor: the window clipped to the padded input, or to the input without padding
        extent = 1
        for o, s, p, k, n in zip(position[-dims:], stride, padding, kernel, x.shape[-dims:], strict=True):
            start = o * s - p
            extent *= (min(start + k, n + p) - start) if include_pad else (min(start + k, n) - max(start, 0))
        out[position] = c.total([xs[tuple(i)] for i in window]) / float(extent)
    operations = c.count()
    np.testing.assert_allclose(c.values(out), produced, rtol=1e-6)
    assert exact(function, torch.from_numpy(x)) == operations


@given(st.integers(1, 2), st.lists(st.tuples(st.integers(1, 9), st.integers(1, 5)), min_size=1, max_size=2),
       st.booleans(), st.data())
@examples(25, deadline=None)
def test_adaptive_poolings_count_their_overlapping_windows(n, sizes, maximum, data):
    spatial = tuple(size for size, _ in sizes)
    outputs = tuple(out for _, out in sizes)
    x = data.draw(arrays((n, 2, *spatial)))
    dims = len(spatial)
    pool = {(1, False): F.adaptive_avg_pool1d, (2, False): F.adaptive_avg_pool2d,
            (1, True): F.adaptive_max_pool1d, (2, True): F.adaptive_max_pool2d}[dims, maximum]

    def function(t):
        return pool(t, outputs)

    produced = function(torch.from_numpy(x)).numpy()
    xs = c.counted(x)
    c.reset()
    out = np.empty(produced.shape, dtype=object)
    for lead in np.ndindex(*x.shape[:-dims]):
        for position in np.ndindex(*outputs):
            axes = [range(i * size // o, -(-(i + 1) * size // o)) for i, size, o in zip(position, spatial, outputs,
                                                                                         strict=True)]
            window = [xs[lead + index] for index in np.ndindex(*(len(a) for a in axes))
                      for index in [tuple(a[j] for a, j in zip(axes, index, strict=True))]]
            out[lead + position] = c.largest(window) if maximum else c.total(window) / float(len(window))
    operations = c.count()
    np.testing.assert_allclose(c.values(out), produced, rtol=1e-6)
    assert exact(function, torch.from_numpy(x)) == operations


def _source(dst, scale, align_corners, size, out_size, cubic=False):
    """torch's source coordinate of output ``dst`` (index arithmetic, plain floats)."""
    if align_corners:
        return dst * (size - 1) / (out_size - 1) if out_size > 1 else 0.0
    source = (dst + 0.5) * (size / out_size) - 0.5
    return source if cubic else max(source, 0.0)


def _lerp(a, b, t):
    return a + t * (b - a)


def _linear_axis(dst, size, out_size, align_corners):
    source = _source(dst, None, align_corners, size, out_size)
    low = min(math.floor(source), size - 1)
    return low, min(low + 1, size - 1), source - low


def _cubic_weights(t, a=-0.75):
    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _cubic(values, weights):
    """``w0 a + w1 b + w2 c + w3 d``: four multiplications, three additions."""
    return c.total([w * v for w, v in zip(weights, values, strict=True)])


@given(st.sampled_from(["nearest", "linear", "bilinear", "bicubic", "trilinear"]), st.booleans(), st.data())
@examples(25, deadline=None)
def test_interpolation_counts_its_nested_one_dimensional_interpolations(mode, align_corners, data):
    dims = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}.get(mode, data.draw(st.integers(1, 2)))
    spatial = tuple(data.draw(st.integers(1, 4)) for _ in range(dims))
    outputs = tuple(data.draw(st.integers(1, 7)) for _ in range(dims))
    x = data.draw(arrays((1, 2, *spatial)))
    corners = None if mode == "nearest" else align_corners

    def function(t):
        return F.interpolate(t, size=outputs, mode=mode, align_corners=corners)

    produced = function(torch.from_numpy(x)).numpy()
    xs = c.counted(x)
    c.reset()
    out = np.empty(produced.shape, dtype=object)
    for lead in np.ndindex(1, 2):
        for position in np.ndindex(*outputs):
            if mode == "nearest":
                index = tuple(min(math.floor(o * (n / m)), n - 1) for o, n, m in zip(position, spatial, outputs,
                                                                                       strict=True))
                out[lead + position] = xs[lead + index]
            elif mode == "bicubic":
                rows = []
                axes = []
                for o, n, m in zip(position, spatial, outputs, strict=True):
                    source = _source(o, None, align_corners, n, m, cubic=True)
                    low = math.floor(source)
                    axes.append(([min(max(low - 1 + k, 0), n - 1) for k in range(4)], _cubic_weights(source - low)))
                (ys, wy), (xs_, wx) = axes
                rows = [_cubic([xs[(*lead, y, xx)] for xx in xs_], wx) for y in ys]
                out[lead + position] = _cubic(rows, wy)
            else:  # linear family: a lerp along the last axis, then along each earlier one
                axes = [_linear_axis(o, n, m, align_corners) for o, n, m in zip(position, spatial, outputs,
                                                                                 strict=True)]

                def blend(axis, prefix, axes=axes, lead=lead):
                    low, high, t = axes[axis]
                    if axis == dims - 1:
                        return _lerp(xs[lead + prefix + (low,)], xs[lead + prefix + (high,)], t)
                    return _lerp(blend(axis + 1, (*prefix, low)), blend(axis + 1, (*prefix, high)), t)

                out[lead + position] = blend(0, ())
    operations = c.count()
    np.testing.assert_allclose(c.values(out), produced, rtol=1e-6, atol=1e-9)
    assert exact(function, torch.from_numpy(x)) == operations


@given(st.sampled_from(["mean", "sum", "none"]), st.data())
@examples(15, deadline=None)
def test_mean_squared_error_counts_its_defining_formula(reduction, data):
    x = data.draw(arrays())
    y = data.draw(arrays(x.shape))
    c.reset()
    squares = [d * d for d in (a - b for a, b in zip(c.counted(x).ravel(), c.counted(y).ravel(), strict=True))]
    value = squares if reduction == "none" else c.total(squares)
    if reduction == "mean":
        value = value / float(len(squares))
    operations = c.count()

    def function(a, b):
        return F.mse_loss(a, b, reduction=reduction)

    produced = function(torch.from_numpy(x), torch.from_numpy(y)).numpy().ravel()
    np.testing.assert_allclose(c.values(np.atleast_1d(np.array(value, dtype=object))), produced, rtol=1e-6)
    assert exact(function, torch.from_numpy(x), torch.from_numpy(y)) == operations


@given(st.integers(1, 2), st.integers(1, 2), st.integers(1, 5), st.integers(1, 5), st.integers(1, 3),
       st.sampled_from(["none", "causal", "mask"]), st.data())
@examples(25, deadline=None)
def test_attention_counts_the_pairs_its_kernel_keeps(batch, heads, queries, keys, width, mask, data):
    values = width  # the fused kernel's heads: values as wide as queries and keys
    if mask == "causal":
        keys = max(keys, queries)  # torch's causal mask leaves no query without keys then
    q = data.draw(arrays((batch, heads, queries, width)))
    k = data.draw(arrays((batch, heads, keys, width)))
    v = data.draw(arrays((batch, heads, keys, values)))
    additive = data.draw(arrays((queries, keys))) if mask == "mask" else None
    scale = 1.0 / math.sqrt(width)
    c.reset()
    out = np.empty((batch, heads, queries, values), dtype=object)
    qs, ks, vs = c.counted(q), c.counted(k), c.counted(v)
    for b, h, i in np.ndindex(batch, heads, queries):
        seen = range(i + 1) if mask == "causal" else range(keys)
        scores = []
        for j in seen:
            score = c.total([qs[b, h, i, e] * ks[b, h, j, e] for e in range(width)]) * scale
            scores.append(score + c.Counted(additive[i, j]) if mask == "mask" else score)
        exps = [c.fn.exp(s) for s in scores]
        norm = c.total(exps)
        weights = [e / norm for e in exps]
        for e in range(values):
            out[b, h, i, e] = c.total([w * vs[b, h, j, e] for w, j in zip(weights, seen, strict=True)])
    operations = c.count()
    mask_tensor = None if additive is None else torch.from_numpy(additive)

    def function(*tensors):
        return F.scaled_dot_product_attention(*tensors[:3], attn_mask=tensors[3] if len(tensors) > 3 else None,
                                              is_causal=mask == "causal")

    tensors = [torch.from_numpy(a) for a in (q, k, v)] + ([mask_tensor] if mask_tensor is not None else [])
    np.testing.assert_allclose(c.values(out), function(*tensors).numpy(), rtol=1e-6, atol=1e-9)
    assert exact(function, *tensors) == operations
    assert exact(function, *tensors, device="cpu") == operations  # the fused kernel a real forward runs


def _fft(items):
    """A radix-2 Cooley-Tukey FFT of complex counting numbers ``(re, im)``: per butterfly a complex
    multiplication by the twiddle (4 multiplications, 2 additions) and two complex additions."""
    n = len(items)
    if n == 1:
        return items
    even, odd = _fft(items[0::2]), _fft(items[1::2])
    out = [None] * n
    for j in range(n // 2):
        wr, wi = math.cos(-2 * math.pi * j / n), math.sin(-2 * math.pi * j / n)
        (er, ei), (o_r, oi) = even[j], odd[j]
        tr, ti = wr * o_r - wi * oi, wr * oi + wi * o_r
        out[j], out[j + n // 2] = (er + tr, ei + ti), (er - tr, ei - ti)
    return out


@given(st.integers(1, 3), st.integers(0, 4), st.data())
@examples(10, deadline=None)
def test_a_complex_fourier_transform_counts_a_radix_2_fft(lines, log_length, data):
    length = 2**log_length
    re, im = data.draw(arrays((lines, length))), data.draw(arrays((lines, length)))
    c.reset()
    spectra = [_fft(list(zip(c.counted(r), c.counted(i), strict=True))) for r, i in zip(re, im, strict=True)]
    operations = c.count()
    x = torch.complex(torch.from_numpy(re), torch.from_numpy(im))
    produced = torch.fft.fft(x).numpy()
    np.testing.assert_allclose(np.array([[complex(float(a), float(b)) for a, b in s] for s in spectra]),
                               produced, rtol=1e-6, atol=1e-9)
    assert operations == 5 * lines * length * log_length  # the textbook count, run
    assert exact(torch.fft.fft, x) == operations


@given(st.integers(1, 6), st.integers(1, 4), st.integers(1, 4), st.integers(1, 2), st.data())
@examples(15, deadline=None)
def test_overlap_add_counts_the_collisions_of_its_frames(frames, size, step, lines, data):
    x = data.draw(arrays((lines, frames, size)))
    length = (frames - 1) * step + size
    c.reset()
    out = [[None] * length for _ in range(lines)]
    for line, frame, m in np.ndindex(lines, frames, size):
        value = c.counted(x)[line, frame, m]
        position = frame * step + m
        out[line][position] = value if out[line][position] is None else out[line][position] + value
    operations = c.count()

    def function(t):
        return torch.ops.aten.unfold_backward(t, [lines, length], 1, size, step)

    produced = function(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(c.values([[v if v is not None else 0.0 for v in row] for row in out]), produced,
                               rtol=1e-6, atol=1e-9)
    assert exact(function, torch.from_numpy(x)) == operations


@given(st.integers(1, 2), st.booleans(), st.booleans(), st.booleans(), st.integers(1, 4), st.integers(1, 3),
       st.booleans())
@examples(10, deadline=None)
def test_the_fused_lstm_kernel_counts_what_its_steps_count(layers, bidirectional, bias, batch_first, steps, batch,
                                                           unbatched):
    from analytic.profiling import functions

    torch.manual_seed(0)
    model = torch.nn.LSTM(3, 4, num_layers=layers, bidirectional=bidirectional, bias=bias, batch_first=batch_first)
    shape = (steps, 3) if unbatched else (batch, steps, 3) if batch_first else (steps, batch, 3)
    fused = analytic.profile(model, shape)  # one kernel per layer and direction, as on the CPU
    on_cpu = analytic.profile(model, shape, device="cpu")
    routed = dict(functions.ROUTED_FUNCTIONS)
    try:  # torch's own path on the meta device: a loop over the steps, every step's operators
        functions.ROUTED_FUNCTIONS.pop(torch.lstm)
        stepwise = analytic.profile(model, shape)
    finally:
        functions.ROUTED_FUNCTIONS.update(routed)
    assert fused.coverage["counted"]["aten::mkldnn_rnn_layer"] == layers * (1 + bidirectional)
    assert "aten::mkldnn_rnn_layer" in on_cpu.coverage["counted"]
    assert "aten::mkldnn_rnn_layer" not in stepwise.coverage["counted"]
    assert fused.total == on_cpu.total == stepwise.total
    assert not fused.uncounted and not stepwise.uncounted and not on_cpu.uncounted


def test_an_embedding_is_a_lookup():
    model = torch.nn.Embedding(100, 8)
    prof = analytic.profile(model, (2, 5), dtypes=[torch.long])
    (row,) = prof.rows
    assert row.op == "aten::embedding" and row.counts["exact"] == 0
    assert row.counts["torchinfo"] == 2 * 100 * 8  # its rule for a module with a weight


@given(shapes, st.data())
@examples(15, deadline=None)
def test_polar_counts_a_cosine_a_sine_and_two_products(shape, data):
    radius, angle = np.abs(data.draw(arrays(shape))), data.draw(arrays(shape))
    c.reset()
    out = [(r * c.fn.cos(t), r * c.fn.sin(t)) for r, t in zip(c.counted(radius).ravel(), c.counted(angle).ravel(),
                                                               strict=True)]
    operations = c.count()
    produced = torch.view_as_real(torch.polar(torch.from_numpy(radius), torch.from_numpy(angle))).numpy()
    np.testing.assert_allclose(c.values(out), produced.reshape(-1, 2), rtol=1e-6, atol=1e-9)
    assert exact(torch.polar, torch.from_numpy(radius), torch.from_numpy(angle)) == operations


@given(st.sampled_from(["mean", "sum", "none"]), st.booleans(), st.booleans(), st.data())
@examples(20, deadline=None)
def test_binary_cross_entropy_of_logits_counts_its_defining_formula(reduction, weighted, positive_weight, data):
    x = data.draw(arrays())
    y = data.draw(arrays(x.shape, 0.0, 1.0))
    weight = data.draw(arrays(x.shape, 0.5, 2.0)) if weighted else None
    pos_weight = data.draw(arrays(x.shape[-1:], 0.5, 2.0)) if positive_weight else None
    c.reset()
    xs, ys = np.broadcast_arrays(c.counted(x), c.counted(y))
    ws = np.broadcast_to(c.counted(weight), x.shape) if weighted else None
    ps = np.broadcast_to(c.counted(pos_weight), x.shape) if positive_weight else None
    losses = []
    for index in np.ndindex(*x.shape):
        xi, yi = xs[index], ys[index]
        softplus = c.fn.log(1.0 + c.fn.exp(-xi))  # log(1 + exp(-x)): -log(sigmoid(x))
        factor = softplus if ps is None else (1.0 + (ps[index] - 1.0) * yi) * softplus
        loss = (1.0 - yi) * xi + factor
        losses.append(loss if ws is None else ws[index] * loss)
    value = losses if reduction == "none" else [c.total(losses)]
    if reduction == "mean":
        value = [value[0] / float(len(losses))]
    operations = c.count()
    tensors = [torch.from_numpy(a) for a in (x, y)]

    def function(a, b):
        return F.binary_cross_entropy_with_logits(
            a, b, weight=None if weight is None else torch.from_numpy(weight), reduction=reduction,
            pos_weight=None if pos_weight is None else torch.from_numpy(pos_weight))

    np.testing.assert_allclose(c.values(value), function(*tensors).numpy().ravel(), rtol=1e-6, atol=1e-9)
    assert exact(function, *tensors) == operations


@given(st.integers(1, 2), st.integers(1, 2), st.lists(st.tuples(st.integers(1, 9), st.integers(1, 3),
                                                                st.integers(1, 3), st.integers(0, 2),
                                                                st.integers(1, 2)), min_size=2, max_size=2))
@examples(25, deadline=None)
def test_fold_adds_the_values_that_land_on_one_position_beyond_the_first(batch, channels, dims):
    sizes, kernel, stride, padding, dilation = (tuple(d[i] for d in dims) for i in range(5))
    blocks = [(n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in dims]
    if min(blocks) < 1:
        return  # no block fits
    fold = torch.nn.Fold(sizes, kernel, dilation=dilation, padding=padding, stride=stride)
    # the all-ones count (torch's own fold): each position holds the number of values landing on it
    landed = fold(torch.ones(batch, channels * math.prod(kernel), math.prod(blocks), dtype=torch.float64))
    additions = int((landed - 1).clamp(min=0).sum())
    assert exact(fold, torch.zeros(batch, channels * math.prod(kernel), math.prod(blocks))) == additions
    assert exact(fold, torch.zeros(batch, channels * math.prod(kernel), math.prod(blocks)), device="cpu") == additions


def _clip(x, size):
    return c.minimum(c.maximum(x, 0.0), float(size - 1))


def _reflect(x, twice_low, twice_high):
    """torch's reflection of a coordinate into ``[low, high]``: ``|x - low|``, its remainder and
    quotient by the span, the quotient's parity, both reflected candidates."""
    if twice_low == twice_high:
        return c.Counted(0.0)
    low, span = twice_low / 2.0, (twice_high - twice_low) / 2.0
    distance = c.absolute(x - low)
    extra, flips = c.fn.fmod(distance, span), c.floor(distance / span)
    even = c.equal(c.fn.fmod(flips, 2.0), 0.0)
    return c.where(even, extra + low, span - extra + low)


def _grid_source(g, size, padding, align_corners, bicubic):
    """A grid coordinate in ``[-1, 1]`` mapped to the input's axis of ``size``, then padded."""
    x = (g + 1.0) * ((size - 1) / 2.0) if align_corners else (g + 1.0) * (size / 2.0) - 0.5
    if bicubic or padding == "zeros":
        return x
    if padding == "reflection":
        x = _reflect(x, 0, 2 * (size - 1)) if align_corners else _reflect(x, -1, 2 * size - 1)
    return _clip(x, size)


def _tap(index, size, padding, align_corners):
    """A bicubic tap's index padded as torch pads it (index arithmetic, plain numbers), or ``None``
    outside under zero padding."""
    if padding == "zeros":
        return index if 0 <= index < size else None
    if padding == "reflection":
        twice_low, twice_high = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        if twice_low == twice_high:
            index = 0
        else:
            low, span = twice_low / 2.0, (twice_high - twice_low) / 2.0
            distance = abs(index - low)
            extra, flips = math.fmod(distance, span), math.floor(distance / span)
            index = extra + low if flips % 2 == 0 else span - extra + low
    return int(min(max(index, 0), size - 1))


@st.composite
def grid_samplings(draw):
    """A grid sampling torch accepts: its mode, padding and corners (bicubic in 2-d only), an input
    of two channels and a grid of points, some outside the input."""
    mode = draw(st.sampled_from(["bilinear", "nearest", "bicubic"]))
    padding = draw(st.sampled_from(["zeros", "border", "reflection"]))
    align_corners = draw(st.booleans())
    axes = 2 if mode == "bicubic" else draw(st.integers(2, 3))
    sizes = tuple(draw(st.integers(1, 4)) for _ in range(axes))
    points = tuple(draw(st.integers(1, 3)) for _ in range(axes))
    x = draw(arrays((1, 2, *sizes)))
    grid = draw(arrays((1, *points, axes), -1.25, 1.25))
    return mode, padding, align_corners, sizes, points, x, grid


@given(grid_samplings())
@examples(30, deadline=None)
def test_grid_sampling_counts_its_coordinates_and_its_interpolation(case):
    mode, padding, align_corners, sizes, points, x, grid = case
    axes = len(sizes)
    c.reset()
    xs, gs = c.counted(x), c.counted(grid)
    out = np.empty((1, 2, *points), dtype=object)
    for point in np.ndindex(*points):
        # the grid's last axis holds (x, y[, z]): the input's axes in reverse
        sources = [_grid_source(gs[(0, *point, axes - 1 - a)], sizes[a], padding, align_corners, mode == "bicubic")
                   for a in range(axes)]
        if mode == "nearest":
            taps = [int(c.fn.rint(s).value) for s in sources]
            for channel in range(2):
                inside = all(0 <= t < n for t, n in zip(taps, sizes, strict=True))
                out[(0, channel, *point)] = xs[(0, channel, *taps)] if inside else c.Counted(0.0)
            continue
        floors = [c.floor(s) for s in sources]
        fractions = [s - f for s, f in zip(sources, floors, strict=True)]
        lows = [int(f.value) for f in floors]
        if mode == "bicubic":
            weights = [_cubic_weights(t) for t in fractions]

            def value(index, channel):
                taps = [_tap(i, n, padding, align_corners) for i, n in zip(index, sizes, strict=True)]
                return c.Counted(0.0) if None in taps else xs[(0, channel, *taps)]

            for channel in range(2):
                rows = [_cubic([value((lows[0] - 1 + r, lows[1] - 1 + k), channel) for k in range(4)], weights[1])
                        for r in range(4)]
                out[(0, channel, *point)] = _cubic(rows, weights[0])
            continue
        for channel in range(2):
            def corner(offsets, channel=channel, lows=lows):
                index = [low + o for low, o in zip(lows, offsets, strict=True)]
                inside = all(0 <= i < n for i, n in zip(index, sizes, strict=True))
                return xs[(0, channel, *index)] if inside else c.Counted(0.0)

            def blend(axis, offsets, corner=corner, fractions=fractions):
                if axis == axes:
                    return corner(offsets)
                return _lerp(blend(axis + 1, (*offsets, 0)), blend(axis + 1, (*offsets, 1)), fractions[axis])

            out[(0, channel, *point)] = blend(0, ())
    operations = c.count()

    def function(t, g):
        return F.grid_sample(t, g, mode=mode, padding_mode=padding, align_corners=align_corners)

    tensors = torch.from_numpy(x), torch.from_numpy(grid)
    np.testing.assert_allclose(c.values(out), function(*tensors).numpy(), rtol=1e-6, atol=1e-9)
    assert exact(function, *tensors) == operations


@given(st.integers(1, 2), st.integers(2, 3), st.booleans(), st.data())
@examples(15, deadline=None)
def test_an_affine_grid_maps_each_point_by_its_matrix(batch, axes, align_corners, data):
    # sizes of 1 with align_corners=True: a grid torch warns is not an intended use
    sizes = tuple(data.draw(st.integers(1 + align_corners, 4)) for _ in range(axes))
    theta = data.draw(arrays((batch, axes, axes + 1)))
    produced = F.affine_grid(torch.from_numpy(theta), (batch, 1, *sizes), align_corners=align_corners).numpy()

    def base(i, n):  # the grid's coordinates before the map: constants of the size
        if n == 1:
            return 0.0
        return -1.0 + 2.0 * i / (n - 1) if align_corners else (2.0 * i + 1.0) / n - 1.0

    c.reset()
    ts = c.counted(theta)
    out = np.empty(produced.shape, dtype=object)
    for b in range(batch):
        for index in np.ndindex(*sizes):
            point = [base(i, n) for i, n in zip(reversed(index), reversed(sizes), strict=True)]  # (x, y[, z])
            for row in range(axes):
                out[(b, *index, row)] = c.total([ts[b, row, j] * point[j] for j in range(axes)] + [ts[b, row, axes]])
    operations = c.count()
    np.testing.assert_allclose(c.values(out), produced, rtol=1e-6, atol=1e-9)
    assert exact(lambda t: F.affine_grid(t, (batch, 1, *sizes), align_corners=align_corners),
                 torch.from_numpy(theta)) == operations


@given(shapes, st.data())
@examples(15, deadline=None)
def test_the_gradient_of_a_gated_linear_unit_counts_its_defining_formula(shape, data):
    dim = data.draw(st.integers(0, len(shape) - 1))
    x = data.draw(arrays(tuple(2 * n if d == dim else n for d, n in enumerate(shape))))
    g = data.draw(arrays(shape))
    c.reset()
    a, b = np.split(c.counted(x), 2, axis=dim)
    grads_a, grads_b = np.empty(shape, dtype=object), np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):  # glu = a sigmoid(b): g s and g a s (1 - s)
        s, gi = _sigmoid(b[index]), c.counted(g)[index]
        grads_a[index], grads_b[index] = gi * s, gi * (a[index] * (s * (1.0 - s)))
    operations = c.count()

    def function(grad, t):
        return torch.ops.aten.glu_backward(grad, t, dim)

    produced = function(torch.from_numpy(g), torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(c.values(np.concatenate([grads_a, grads_b], axis=dim)), produced, rtol=1e-6,
                               atol=1e-9)
    assert exact(function, torch.from_numpy(g), torch.from_numpy(x)) == operations


def _products(rows, vector):
    """Each row's dot product with ``vector``: ``k`` products, ``k - 1`` additions."""
    return [c.total([r * v for r, v in zip(row, vector, strict=True)]) for row in rows]


@given(st.sampled_from(["mv", "addmv", "dot", "vdot", "addr", "addbmm"]), st.integers(1, 4), st.integers(1, 4),
       st.integers(1, 3), st.data())
@examples(20, deadline=None)
def test_products_with_vectors_outer_products_and_summed_batches_count_their_definition(name, n, k, batch, data):
    a, x, bias = data.draw(arrays((n, k))), data.draw(arrays((k,))), data.draw(arrays((n,)))
    c.reset()
    if name in ("mv", "addmv"):
        out = _products(c.counted(a), c.counted(x))
        out = [b + v for b, v in zip(c.counted(bias), out, strict=True)] if name == "addmv" else out
        tensors = [torch.from_numpy(t) for t in ((a, x) if name == "mv" else (bias, a, x))]
    elif name in ("dot", "vdot"):
        out = _products([c.counted(x)], c.counted(x))
        tensors = [torch.from_numpy(x), torch.from_numpy(x)]
    elif name == "addr":
        base = c.counted(a)
        out = [[base[i, j] + u * v for j, v in enumerate(c.counted(x))] for i, u in enumerate(c.counted(bias))]
        tensors = [torch.from_numpy(t) for t in (a, bias, x)]
    else:  # C + sum_i A_i B_i
        left, right = data.draw(arrays((batch, n, k))), data.draw(arrays((batch, k, 2)))
        base = data.draw(arrays((n, 2)))
        cl, cr, cb = c.counted(left), c.counted(right), c.counted(base)
        out = [[c.total([cb[i, j]] + [cl[b, i, m] * cr[b, m, j] for b in range(batch) for m in range(k)])
                for j in range(2)] for i in range(n)]
        tensors = [torch.from_numpy(t) for t in (base, left, right)]
    operations = c.count()
    function = getattr(torch, name)
    np.testing.assert_allclose(c.values(out), function(*tensors).numpy(), rtol=1e-6, atol=1e-9)
    assert exact(function, *tensors) == operations


@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.data())
@examples(15, deadline=None)
def test_a_bilinear_layer_counts_its_two_contractions(batch, left, right, outputs, data):
    x1, x2 = data.draw(arrays((batch, left))), data.draw(arrays((batch, right)))
    weight = data.draw(arrays((outputs, left, right)))
    c.reset()
    a, b, w = c.counted(x1), c.counted(x2), c.counted(weight)
    # x1^T W x2 as torch's _trilinear evaluates it: x1 with W summed over i, then with x2 over j
    out = [[c.total([c.total([a[n, i] * w[o, i, j] for i in range(left)]) * b[n, j] for j in range(right)])
            for o in range(outputs)] for n in range(batch)]
    operations = c.count()

    def function(s, t, u):
        return F.bilinear(s, t, u)

    tensors = [torch.from_numpy(t) for t in (x1, x2, weight)]
    np.testing.assert_allclose(c.values(out), function(*tensors).numpy(), rtol=1e-6, atol=1e-9)
    assert exact(function, *tensors) == operations


class _Complex:
    """A complex number of two counting numbers: its arithmetic done in real operations."""

    def __init__(self, re, im):
        self.re, self.im = re, im

    @staticmethod
    def of(value):
        return value if isinstance(value, _Complex) else _Complex(value, None)  # a real: no imaginary part

    def __add__(self, other):
        other = _Complex.of(other)
        im = self.im if other.im is None else other.im if self.im is None else self.im + other.im
        return _Complex(self.re + other.re, im)

    def __sub__(self, other):
        other = _Complex.of(other)
        im = self.im if other.im is None else (0.0 - other.im) if self.im is None else self.im - other.im
        return _Complex(self.re - other.re, im)

    def __mul__(self, other):
        other = _Complex.of(other)
        if other.im is None:
            return _Complex(self.re * other.re, self.im * other.re)
        return _Complex(self.re * other.re - self.im * other.im, self.re * other.im + self.im * other.re)

    def __truediv__(self, other):
        other = _Complex.of(other)
        if other.im is None:
            return _Complex(self.re / other.re, self.im / other.re)
        norm = other.re * other.re + other.im * other.im
        if self.im is None:  # a real by a complex
            return _Complex(self.re * other.re / norm, -(self.re * other.im) / norm)
        return _Complex((self.re * other.re + self.im * other.im) / norm,
                        (self.im * other.re - self.re * other.im) / norm)

    def value(self) -> complex:
        return complex(float(self.re), 0.0 if self.im is None else float(self.im))


def _complex_sum(items):
    result = items[0]
    for item in items[1:]:
        result = result + item
    return result


#: name -> (one torch operator on a complex tensor z and a real one r, its definition on one element)
COMPLEX = {
    "add": (lambda z, r: z + z, lambda z, r: z + z),
    "add_real": (lambda z, r: z + r, lambda z, r: z + r),
    "add_alpha": (lambda z, r: torch.add(z, z, alpha=2.0), lambda z, r: z + z * 2.0),
    "sub": (lambda z, r: z - z, lambda z, r: z - z),
    "mul": (lambda z, r: z * z, lambda z, r: z * z),
    "mul_real": (lambda z, r: z * r, lambda z, r: z * r),
    "div": (lambda z, r: z / z, lambda z, r: z / z),
    "div_real": (lambda z, r: z / r, lambda z, r: z / r),
    "real_div": (lambda z, r: r / z, lambda z, r: _Complex.of(r) / z),
    "neg": (lambda z, r: -z, lambda z, r: _Complex(0.0 - z.re, 0.0 - z.im)),
    "abs": (lambda z, r: z.abs(), lambda z, r: _Complex(c.fn.sqrt(z.re * z.re + z.im * z.im), None)),
    "reciprocal": (lambda z, r: z.reciprocal(),
                   lambda z, r: (lambda norm: _Complex(z.re / norm, -z.im / norm))(z.re * z.re + z.im * z.im)),
}


@pytest.mark.parametrize("name", list(COMPLEX))
def test_complex_arithmetic_counts_its_real_operations(name):
    function, definition = COMPLEX[name]

    @given(shapes, st.data())
    @examples(10, deadline=None)
    def check(shape, data):
        re, im = data.draw(arrays(shape, 0.5, 3.0)), data.draw(arrays(shape, 0.5, 3.0))
        real = data.draw(arrays(shape, 0.5, 3.0))
        c.reset()
        out = [definition(_Complex(a, b), r) for a, b, r in zip(c.counted(re).ravel(), c.counted(im).ravel(),
                                                                  c.counted(real).ravel(), strict=True)]
        operations = c.count()
        z, r = torch.complex(torch.from_numpy(re), torch.from_numpy(im)), torch.from_numpy(real)
        produced = function(z, r).reshape(-1).numpy()
        np.testing.assert_allclose(np.array([v.value() for v in out]), produced, rtol=1e-6, atol=1e-9)
        assert exact(function, z, r) == operations

    check()


@given(st.sampled_from(["sum", "mean", "prod", "cumsum", "cumprod"]), shapes, st.data())
@examples(20, deadline=None)
def test_complex_sums_and_products_count_their_real_operations(name, shape, data):
    re, im = data.draw(arrays(shape, 0.5, 1.5)), data.draw(arrays(shape, 0.5, 1.5))
    dim = data.draw(st.integers(0, len(shape) - 1))
    z = torch.complex(torch.from_numpy(re), torch.from_numpy(im))
    function = {"sum": lambda t: t.sum(dim), "mean": lambda t: t.mean(dim), "prod": lambda t: t.prod(dim),
                "cumsum": lambda t: t.cumsum(dim), "cumprod": lambda t: t.cumprod(dim)}[name]
    c.reset()
    values = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        values[index] = _Complex(c.counted(re)[index], c.counted(im)[index])
    out = []
    for line in np.moveaxis(values, dim, -1).reshape(-1, shape[dim]):
        if name in ("sum", "mean"):
            total = _complex_sum(list(line))
            out.append([total / float(len(line)) if name == "mean" else total])
        elif name == "prod":
            product = line[0]
            for v in line[1:]:
                product = product * v
            out.append([product])
        else:
            running = [line[0]]
            for v in line[1:]:
                running.append(running[-1] + v if name == "cumsum" else running[-1] * v)
            out.append(running)
    operations = c.count()
    produced = function(z).numpy()
    produced = np.moveaxis(produced, dim, -1).reshape(len(out), -1) if name.startswith("cum") else produced.reshape(
        len(out), 1)
    np.testing.assert_allclose(np.array([[v.value() for v in row] for row in out]), produced, rtol=1e-6, atol=1e-9)
    assert exact(function, z) == operations
