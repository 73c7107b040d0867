"""The backward pass's own operators against their defining formulas run on counting numbers
(tests/counting.py): each reference computes the gradient torch's operator computes (the values
must be equal) and counts the operations it performs, which must equal the exact count tapcount's
profile gives the operator's call (through the counting mode on the meta device).  And where
torch decomposes a gradient on one device and runs its own kernel on the other, the training step
of each activation counts the same on both: torch's decomposition against tapcount's formula."""

import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st

import analytic
from tests import counting as c
from tests.profiles import examples
from tests.test_operators import _cubic_weights, _grid_source, _tap, arrays, exact, grid_samplings, reference, shapes


def _sign(d):
    return c.where(d > 0.0, 1.0, -1.0)  # one comparison (the reference's values never hit 0)


#: name -> (torch's gradient operator of (g, x), the gradient of one element from (g, x), input range)
ELEMENTWISE = {
    "hardshrink": (lambda g, x: torch.ops.aten.hardshrink_backward(g, x, 0.5),
                   lambda g, x: c.where(c.absolute(x) > 0.5, g, 0.0), (-3.0, 3.0)),
    "softshrink": (lambda g, x: torch.ops.aten.softshrink_backward(g, x, 0.5),
                   lambda g, x: c.where(c.absolute(x) > 0.5, g, 0.0), (-3.0, 3.0)),
    "logit": (lambda g, x: torch.ops.aten.logit_backward(g, x), lambda g, x: g / (x * (1.0 - x)), (0.0625, 0.9375)),
    "logit_eps": (lambda g, x: torch.ops.aten.logit_backward(g, x, 0.25),
                  lambda g, x: (lambda low, high: c.where(low or high, 0.0, g / (x * (1.0 - x))))(x < 0.25, x > 0.75),
                  (0.0625, 0.9375)),
    "rrelu_evaluation": (lambda g, x: torch.ops.aten.rrelu_with_noise_backward(g, x, torch.zeros_like(x), 0.1, 0.3,
                                                                               False, False),
                         lambda g, x: c.where(x > 0.0, g, g * 0.2), (-3.0, 3.0)),
    "mish": (lambda g, x: torch.ops.aten.mish_backward(g, x),
             lambda g, x: (lambda t, s: g * (t + x * s * (1.0 - t * t)))(
                 c.fn.tanh(c.where(x > 20.0, x, c.fn.log(1.0 + c.fn.exp(x)))), 1.0 / (1.0 + c.fn.exp(-x))),
             (-3.0, 3.0)),
}


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_elementwise_gradients_count_their_defining_formula(name):
    function, definition, (low, high) = ELEMENTWISE[name]

    @given(shapes, st.data())
    @examples(15, deadline=None)
    def check(shape, data):
        g, x = data.draw(arrays(shape)), data.draw(arrays(shape, low, high))
        expected, operations = reference(definition, g, x)
        produced = function(torch.from_numpy(g), torch.from_numpy(x)).numpy()
        np.testing.assert_allclose(expected, produced, rtol=1e-6, atol=1e-9)
        assert exact(function, torch.from_numpy(g), torch.from_numpy(x)) == operations

    check()


def test_rrelu_in_training_multiplies_by_the_slope_drawn():
    g, x, noise = torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 4, dtype=torch.float64), torch.rand(3, 4)

    def function(grad, t, slopes):
        return torch.ops.aten.rrelu_with_noise_backward(grad, t, slopes, 0.1, 0.3, True, False)

    expected, operations = reference(lambda a, b: a * b, g.numpy(), noise.double().numpy())
    np.testing.assert_allclose(expected, function(g, x, noise.double()).numpy(), rtol=1e-6)
    assert exact(function, g, x, noise.double()) == operations == 12


def _loss_gradient(name, g, x, y, mean, count):
    if name == "soft_margin":
        z = c.fn.exp(-(y * x))
        value = -y * z / (1.0 + z) * g
    else:
        d = x - y
        small = c.absolute(d) < 1.0
        branch = (d / 1.0 if name == "smooth_l1" else d, _sign(d) if name == "smooth_l1" else 1.0 * _sign(d))
        value = c.where(small, *branch) * g
    return value * (1.0 / count) if mean else value


@given(st.sampled_from(["smooth_l1", "huber", "soft_margin"]), st.booleans(), st.data())
@examples(20, deadline=None)
def test_loss_gradients_count_their_defining_formula(name, mean, data):
    x = data.draw(arrays())
    y = data.draw(arrays(x.shape)) if name != "soft_margin" else np.sign(data.draw(arrays(x.shape))) + (
        data.draw(arrays(x.shape)) == 0)
    assume(np.all(x != y))
    g = data.draw(arrays(() if mean else x.shape))
    reduction = 1 if mean else 0
    operator = {"smooth_l1": lambda *a: torch.ops.aten.smooth_l1_loss_backward(*a, reduction, 1.0),
                "huber": lambda *a: torch.ops.aten.huber_loss_backward(*a, reduction, 1.0),
                "soft_margin": lambda *a: torch.ops.aten.soft_margin_loss_backward(*a, reduction)}[name]
    c.reset()
    gs = np.broadcast_to(c.counted(np.asarray(g)), x.shape)
    out = np.empty(x.shape, dtype=object)
    xs, ys = c.counted(x), c.counted(y)
    for index in np.ndindex(*x.shape):
        out[index] = _loss_gradient(name, gs[index], xs[index], ys[index], mean, x.size)
    operations = c.count()
    tensors = [torch.from_numpy(np.asarray(g)), torch.from_numpy(x), torch.from_numpy(y)]
    np.testing.assert_allclose(c.values(out), operator(*tensors).numpy(), rtol=1e-6, atol=1e-9)
    assert exact(operator, *tensors) == operations


def _distance_gradient(g, a, b, distance, p):
    """The gradient of ``||a - b||_p`` along ``a``, times ``g``: one row pair."""
    differences = [u - v for u, v in zip(a, b, strict=True)]
    if p == 2:
        scale = g / distance
        return [scale * d for d in differences]
    if p == 1:
        return [_sign(d) * g for d in differences]
    if p == math.inf:
        return [c.where(c.equal(c.absolute(d), distance), _sign(d) * g, 0.0) for d in differences]
    scale = g / c.fn.pow(distance, p - 1.0)
    return [d * c.fn.pow(c.absolute(d), p - 2.0) * scale for d in differences]


@given(st.integers(1, 2), st.integers(1, 4), st.integers(1, 4), st.integers(1, 3),
       st.sampled_from([1.0, 2.0, 3.0, math.inf]), st.data())
@examples(20, deadline=None)
def test_the_gradient_of_pairwise_distances_counts_its_defining_formula(batch, rows_a, rows_b, width, p, data):
    a, b = data.draw(arrays((batch, rows_a, width))), data.draw(arrays((batch, rows_b, width)))
    g = data.draw(arrays((batch, rows_a, rows_b)))
    distances = torch.cdist(torch.from_numpy(a), torch.from_numpy(b), p=p)
    assume(bool((distances > 1e-3).all()) and np.all(a[:, :, None] != b[:, None]))
    c.reset()
    ca, cb, cg, cd = c.counted(a), c.counted(b), c.counted(g), c.counted(distances.numpy())
    out = np.empty(a.shape, dtype=object)
    for n, i in np.ndindex(batch, rows_a):
        parts = [_distance_gradient(cg[n, i, j], ca[n, i], cb[n, j], cd[n, i, j], p) for j in range(rows_b)]
        for e in range(width):
            out[n, i, e] = c.total([part[e] for part in parts])
    operations = c.count()

    def function(grad, s, t, dist):
        return torch.ops.aten._cdist_backward(grad, s, t, p, dist)

    tensors = [torch.from_numpy(g), torch.from_numpy(a), torch.from_numpy(b), distances]
    np.testing.assert_allclose(c.values(out), function(*tensors).numpy(), rtol=1e-6, atol=1e-9)
    assert exact(function, *tensors) == operations


@given(st.sampled_from([0, 1, 2]), st.booleans(), st.integers(1, 3), st.integers(1, 3), st.data())
@examples(20, deadline=None)
def test_an_embedding_bag_gradient_adds_each_bag_into_its_rows(mode, weighted, bags, width, data):
    weighted = weighted and mode == 0  # torch takes per-sample weights for sums only
    sizes = [data.draw(st.integers(1, 3)) for _ in range(bags)]
    indices = torch.tensor([data.draw(st.integers(0, 4)) for _ in range(sum(sizes))])
    offsets = torch.tensor([0, *np.cumsum(sizes)[:-1].tolist()])
    table = torch.from_numpy(data.draw(arrays((5, width))))
    weights = torch.from_numpy(data.draw(arrays((len(indices),)))) if weighted else None
    _, offset2bag, bag_size, maximum = torch.ops.aten._embedding_bag(table, indices, offsets, False, mode, False,
                                                                      weights)
    g = data.draw(arrays((bags, width)))
    c.reset()
    gradient = np.array([[c.Counted(0.0)] * width for _ in range(5)], dtype=object)
    cg = c.counted(g)
    for bag in range(bags):
        rows = range(int(offsets[bag]), int(offsets[bag]) + sizes[bag])
        if mode == 2:
            for e in range(width):
                row = int(maximum[bag, e])
                gradient[row, e] = gradient[row, e] + cg[bag, e]
            continue
        scaled = [cg[bag, e] / float(sizes[bag]) for e in range(width)] if mode == 1 else list(cg[bag])
        for k in rows:
            for e in range(width):
                part = scaled[e] * c.Counted(float(weights[k])) if weighted else scaled[e]
                gradient[int(indices[k]), e] = gradient[int(indices[k]), e] + part
    operations = c.count()

    def function(grad, ids, offs, bag_of, size, maxima, *w):
        return torch.ops.aten._embedding_bag_backward(grad, ids, offs, bag_of, size, maxima, 5, False, mode, False,
                                                      w[0] if w else None)

    tensors = [torch.from_numpy(g), indices, offsets, offset2bag, bag_size, maximum] + ([weights] if weighted else [])
    np.testing.assert_allclose(c.values(gradient), function(*tensors).numpy(), rtol=1e-6, atol=1e-9)
    assert exact(function, *tensors) == operations


ACTIVATIONS = [F.relu, F.relu6, F.leaky_relu, F.elu, F.selu, F.celu, F.gelu, lambda x: F.gelu(x, approximate="tanh"),
               F.silu, F.mish, torch.sigmoid, torch.tanh, F.softplus, lambda x: F.softplus(x, 2.0), F.hardswish,
               F.hardsigmoid, F.logsigmoid, F.hardshrink, F.softshrink, F.softsign, F.tanhshrink,
               lambda x: F.rrelu(x, training=False), lambda x: torch.logit(torch.sigmoid(x), 1e-3), torch.sinc]


class _Activation(torch.nn.Module):
    def __init__(self, function):
        super().__init__()
        self.function = function
        self.scale = torch.nn.Parameter(torch.ones(1))

    def forward(self, x):
        return self.function(x * self.scale)


@pytest.mark.parametrize("index", range(len(ACTIVATIONS)))
def test_a_training_step_of_each_activation_counts_the_same_on_both_devices(index):
    model = _Activation(ACTIVATIONS[index])
    on_meta = analytic.profile(model, (3, 7), backward=True)
    on_cpu = analytic.profile(model, (3, 7), backward=True, device="cpu")
    assert not on_meta.uncounted and not on_cpu.uncounted
    assert on_meta.total == on_cpu.total


def _cubic_derivatives(t, a=-0.75):
    """The derivatives in ``t`` of the four cubic weights (:func:`_cubic_weights`), quadratics by
    Horner: ``3a t^2 - 4a t + a``, ``3(a + 2) t^2 - 2(a + 3) t``, ``-3(a + 2) t^2 + (4a + 6) t - a``,
    ``-3a t^2 + 2a t`` (they add up to 0, as the weights add up to 1)."""
    return [(3 * a * t - 4 * a) * t + a, (3 * (a + 2) * t - 2 * (a + 3)) * t,
            (-3 * (a + 2) * t + (4 * a + 6)) * t - a, (-3 * a * t + 2 * a) * t]


def _coordinate_slope(g, size, padding, align_corners, bicubic):
    """How a tap's source coordinate moves with the grid's value ``g``: the map's scale, times the
    padding's slope (torch's convention at the edges: 0 where a coordinate is clipped, at the edge
    itself too; -1 where it is reflected an odd number of times or from below).  Plain numbers."""
    scale = (size - 1) / 2 if align_corners else size / 2
    x = (g + 1) * scale if align_corners else (g + 1) * size / 2 - 0.5
    if bicubic or padding == "zeros":
        return scale
    sign = 1.0
    if padding == "reflection":
        twice_low, twice_high = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        if twice_low == twice_high:
            return 0.0
        low, span = twice_low / 2, (twice_high - twice_low) / 2
        x -= low
        if x < 0:
            sign, x = -1.0, -x
        extra, flips = math.fmod(x, span), math.floor(x / span)
        if flips % 2 == 0:
            x = extra + low
        else:
            sign, x = -sign, span - extra + low
    return 0.0 if x <= 0 or x >= size - 1 else scale * sign


@given(grid_samplings(), st.sampled_from([(True, True), (True, False), (False, True)]), st.data())
@examples(30, deadline=None)
def test_the_gradient_of_grid_sampling_counts_its_defining_formula(case, mask, data):
    mode, padding, align_corners, sizes, points, x, grid = case
    axes = len(sizes)
    g = data.draw(arrays((1, 2, *points)))  # the output's gradient
    slopes = {point: [_coordinate_slope(float(grid[(0, *point, axes - 1 - a)]), sizes[a], padding, align_corners,
                                        mode == "bicubic") for a in range(axes)] for point in np.ndindex(*points)}
    c.reset()
    xs, gs, gos = c.counted(x), c.counted(grid), c.counted(g)
    grad_input = np.full(x.shape, c.Counted(0.0), dtype=object)
    grad_grid = np.full(grid.shape, c.Counted(0.0), dtype=object)
    sink = [c.Counted(0.0)]  # where a tap outside the input adds its part (counted, as every tap is)

    def add(channel, index, value):
        if index is None:
            sink[0] = sink[0] + value
        else:
            grad_input[(0, channel, *index)] = grad_input[(0, channel, *index)] + value

    for point in np.ndindex(*points):
        sources = [_grid_source(gs[(0, *point, axes - 1 - a)], sizes[a], padding, align_corners, mode == "bicubic")
                   for a in range(axes)]
        if mode == "nearest":
            nearest = [int(c.fn.rint(s).value) for s in sources]
            inside = all(0 <= t < n for t, n in zip(nearest, sizes, strict=True))
            if mask[0]:
                for channel in range(2):
                    add(channel, nearest if inside else None, gos[(0, channel, *point)])
            continue
        floors = [c.floor(s) for s in sources]
        fractions = [s - f for s, f in zip(sources, floors, strict=True)]
        lows = [int(f.value) for f in floors]
        if mode == "bicubic":
            offsets, weights = range(-1, 3), [_cubic_weights(t) for t in fractions]
            slopes_of = [_cubic_derivatives(t) for t in fractions] if mask[1] else None

            def tap(index):
                padded = [_tap(i, n, padding, align_corners) for i, n in zip(index, sizes, strict=True)]
                return None if None in padded else padded
        else:
            offsets = range(2)
            weights = [[1.0 - t, t] for t in fractions]
            slopes_of = [[-1.0, 1.0]] * axes

            def tap(index):
                return index if all(0 <= i < n for i, n in zip(index, sizes, strict=True)) else None
        taps = list(itertools.product(range(len(offsets)), repeat=axes))
        where = [tap([low + offsets[k] for low, k in zip(lows, ks, strict=True)]) for ks in taps]
        if mask[0]:
            tap_weights = [c.product([weights[a][k] for a, k in enumerate(ks)]) for ks in taps]
            for channel in range(2):
                for index, w in zip(where, tap_weights, strict=True):
                    add(channel, index, gos[(0, channel, *point)] * w)
        if mask[1]:
            # along axis a: the tap's weight differentiated (a sign, for linear sampling: free)
            along = [[c.product([slopes_of[b][k] if b == a else weights[b][k] for b, k in enumerate(ks)])
                      for ks in taps] for a in range(axes)]
            sums = [c.Counted(0.0)] * axes
            for channel in range(2):
                values = [c.Counted(0.0) if index is None else xs[(0, channel, *index)] for index in where]
                for a in range(axes):
                    dot = c.total([v * d for v, d in zip(values, along[a], strict=True)])
                    sums[a] = sums[a] + dot * gos[(0, channel, *point)]
            for a in range(axes):
                grad_grid[(0, *point, axes - 1 - a)] = sums[a] * slopes[point][a]
    operations = c.count()

    op = torch.ops.aten.grid_sampler_2d_backward if axes == 2 else torch.ops.aten.grid_sampler_3d_backward
    codes = {"bilinear": 0, "nearest": 1, "bicubic": 2}, {"zeros": 0, "border": 1, "reflection": 2}

    def function(go, t, gr):
        made = op(go, t, gr, codes[0][mode], codes[1][padding], align_corners, list(mask))
        return tuple(m for m, wanted in zip(made, mask, strict=True) if wanted)

    tensors = torch.from_numpy(g), torch.from_numpy(x), torch.from_numpy(grid)
    produced = function(*tensors)
    expected = [array for array, wanted in zip((grad_input, grad_grid), mask, strict=True) if wanted]
    for want, got in zip(expected, produced, strict=True):
        np.testing.assert_allclose(c.values(want), got.numpy(), rtol=1e-6, atol=1e-9)
    assert exact(function, *tensors) == operations
