"""The backward pass's own operators: the gradients of activations, normalizations, poolings,
interpolation, softmax, embeddings, attention and the fused LSTM (a convolution's gradient is with
the convolution, :func:`analytic.formulas.convolution.convolution_backward`; a matrix product's
gradient runs as matrix products, counted as such).

Exact counts follow each gradient's defining formula, element by element, as the forward's do
(:mod:`analytic.formulas.pointwise`); a gradient that sums contributions into a position (a
pooling's, an interpolation's, a lookup's) adds one fewer than it receives where the positions
receiving are known from the shapes, and adds every contribution into the zeroed gradient where
they depend on values (the maximum a max pooling picked, the rows an embedding looked up): what
torch's kernels do.  ``flops`` is torch's counter's (attention's backward: its five matrix
products, also for the CPU's fused kernel, which torch's counter does not see); the tools that
count no backward pass count none of these calls (the profile sets their columns to 0).

>>> from analytic.formulas import FORMULAS
>>> FORMULAS["aten::tanh_backward"]((2, 8), (2, 8), out_shape=(2, 8))["exact"]  # g (1 - y^2)
48
>>> FORMULAS["aten::_softmax_backward_data"]((4, 10), (4, 10), -1, "float32", out_shape=(4, 10))["exact"]
156
"""

from __future__ import annotations

from collections.abc import Callable

from ..symbolic.arithmetic import arithmetic_of
from .convolution import tap_grid
from .interpolation import grid_coordinates
from .matmul import causal_pairs, matmul_counts
from .pointwise import _constant
from .pooling import _adaptive_elements, _each, _window_arguments
from .recurrent import _LSTM
from .registry import DATA_MOVEMENT, FORMULAS, Shape, counts, numel, register_formula
from .shapes import ratio

__all__ = ["PER_ELEMENT_GRADIENT"]


def _gelu_gradient(*args, approximate: str = "none", **kwargs) -> int:
    # none: g (Phi(x) + x phi(x)), Phi = (1 + erf(x / sqrt 2)) / 2 (4), phi = exp(-x^2 / 2) / sqrt(2 pi) (4),
    #       x phi (1), the sum (1), times g (1)
    # tanh: t = tanh(c (x + k x^3)) (6), (1 + t) / 2 (2), x (1 - t^2) c (1 + 3 k x^2) / 2 (9), sum (1), g (1)
    return 19 if approximate == "tanh" else 11


def _rrelu_gradient(grad, x, noise, lower=0.125, upper=1 / 3, training=False, self_is_result=False, *args,
                    **kwargs) -> int:
    # training: g times the slope drawn (1 where x >= 0); evaluation: x > 0 ? g : g (l + u) / 2
    return 1 if training else 2


#: gradient operator (without ``aten::``) -> operations per element of the input's gradient
PER_ELEMENT_GRADIENT: dict[str, Callable[..., int]] = {
    "threshold_backward": _constant(1),      # x > t ? g : 0 (ReLU's)
    "leaky_relu_backward": _constant(2),     # x > 0 ? g : a g
    "hardtanh_backward": _constant(2),       # lo < x < hi ? g : 0 (ReLU6's)
    "elu_backward": _constant(4),            # x > 0 ? s g : g s_in (y + a s)
    "gelu_backward": _gelu_gradient,
    "silu_backward": _constant(8),           # g s (1 + x (1 - s)), s = sigmoid(x) (3)
    "sigmoid_backward": _constant(3),        # g y (1 - y)
    "tanh_backward": _constant(3),           # g (1 - y^2)
    "softplus_backward": _constant(6),       # b x > t ? g : g z / (z + 1), z = exp(b x)
    "hardswish_backward": _constant(5),      # x < -3 ? 0 : x <= 3 ? g (x / 3 + 1/2) : g
    "hardsigmoid_backward": _constant(3),    # -3 < x < 3 ? g / 6 : 0
    "mish_backward": _constant(14),          # g (t + x s (1 - t^2)), t = tanh(softplus(x)) (5), s = sigmoid(x) (3)
    "log_sigmoid_backward": _constant(4),    # g (1 - sigmoid(x))
    "hardshrink_backward": _constant(2),     # |x| > l ? g : 0
    "softshrink_backward": _constant(2),     # |x| > l ? g : 0
    "logit_backward": lambda g, x, eps=None, **k: 3 + 2 * (eps is not None),  # g / (x (1 - x)), 0 outside [e, 1 - e]
    "rrelu_with_noise_backward": _rrelu_gradient,
}


#: loss gradient -> operations per element (``reduction`` mean: one more, the scaling by 1/M)
_LOSS_GRADIENTS = {
    "smooth_l1_loss_backward": 6,   # d = x - y, |d| < b ? d / b : sign(d), times g
    "huber_loss_backward": 6,       # d = x - y, |d| < delta ? d : delta sign(d), times g
    "soft_margin_loss_backward": 6,  # -y exp(-y x) / (1 + exp(-y x)) times g
}


def _loss_gradient(per_element: int) -> Callable:
    def formula(grad, x, target, reduction=1, *args, out_shape=None, **kwargs):
        return counts(numel(x) * (per_element + int(reduction == 1)), moduleprofiler=0)

    return formula


for _name, _per_element in _LOSS_GRADIENTS.items():
    register_formula(f"aten::{_name}")(_loss_gradient(_per_element))


@register_formula("aten::glu_backward")
def glu_backward(grad_out, x, dim, *, out_shape=None):
    """The gradient of ``a sigmoid(b)``: per element of the output's gradient ``g``, ``s =
    sigmoid(b)`` (3), ``g s`` (1) and ``g a s (1 - s)`` (4)."""
    return counts(8 * numel(grad_out), moduleprofiler=0)


def _pointwise_gradient(name: str, per_element: Callable[..., int]) -> Callable:
    def formula(*args, out_shape=None, **kwargs):
        return counts(per_element(*args, **kwargs) * numel(out_shape), moduleprofiler=0)

    formula.__name__ = name
    formula.__doc__ = f"``aten::{name}``: its operations per element times the gradient's elements."
    return formula


for _name, _per_element in PER_ELEMENT_GRADIENT.items():
    register_formula(f"aten::{_name}")(_pointwise_gradient(_name, _per_element))


@register_formula("aten::_cdist_backward")
def distances_backward(grad, a, b, p, distances, *, out_shape=None):
    """The gradient of ``torch.cdist`` for its first argument ``a`` ``(..., P, D)`` (torch calls it
    again, arguments swapped, for ``b``): per pair the distance's gradient along each coordinate of
    the difference ``d``, times ``g``, summed over the ``R`` rows of ``b``.  ``p = 2``:
    ``g / dist`` once a pair, ``d`` and its product per coordinate; ``p = 1``: ``d``, its sign and
    the product; ``p = inf``: ``d``, ``|d|``, its comparison with the distance, the sign and the
    product; other ``p``: ``dist^(p - 1)`` and ``g / dist^(p - 1)`` a pair, ``d``, ``|d|``,
    ``|d|^(p - 2)``, and two products per coordinate; ``p = 0``: none (a zero gradient)."""
    rows_a, rows_b, width = a[-2], b[-2], a[-1]
    batch = ratio(numel(a), rows_a * width)
    if p == 0:
        return counts(0, moduleprofiler=0)
    per_pair = {2: 1 + 2 * width, 1: 3 * width, float("inf"): 5 * width}.get(p, 2 + 5 * width)
    return counts(batch * (rows_a * rows_b * per_pair + rows_a * width * (rows_b - 1)), moduleprofiler=0)


def _embedding_bag_gradient(grad, indices, mode, per_sample_weights) -> dict:
    """An embedding bag's gradient: each bag's gradient added into the rows it looked up (which
    rows depends on the values: into the zeroed gradient), ``rows x D`` additions; divided by its
    size first for the mean (``bags x D``), times each row's weight where given (``rows x D``);
    the maximum's goes to one row per bag (``bags x D``)."""
    bags, width, rows = grad[0], grad[-1], numel(indices)
    if mode == 2:
        return counts(bags * width, moduleprofiler=0)
    weighted = int(per_sample_weights is not None)
    return counts(rows * width * (1 + weighted) + (bags * width if mode == 1 else 0), moduleprofiler=0)


@register_formula("aten::_embedding_bag_backward")
def embedding_bag_backward(grad, indices, offsets, offset2bag, bag_size, maximum_indices, num_weights,
                           scale_grad_by_freq, mode, sparse, per_sample_weights, padding_idx=-1, *, out_shape=None):
    """:func:`_embedding_bag_gradient`."""
    return _embedding_bag_gradient(grad, indices, mode, per_sample_weights)


@register_formula("aten::_embedding_bag_dense_backward")
def embedding_bag_dense_backward(grad, indices, offset2bag, bag_size, maximum_indices, num_weights,
                                 scale_grad_by_freq, mode, per_sample_weights, padding_idx=-1, *, out_shape=None):
    """:func:`_embedding_bag_gradient`."""
    return _embedding_bag_gradient(grad, indices, mode, per_sample_weights)


# -- normalizations ------------------------------------------------------------------------------


def _normalization_gradient(elements, statistics, size, weighted: bool, mask, reduced: int,
                            from_saved: bool = True) -> int:
    """The gradient of ``statistics`` normalizations of ``size`` elements each (``elements`` in
    all), ``x^ = (x - mean) r``, ``y = x^ w + b``:

    - the input's (``mask[0]``), with batch statistics: ``x^`` (2 per element), ``g' = g w`` (1,
      with a weight), the sums ``sum g'`` and ``sum g' x^`` (``3 size - 2`` per statistic), then
      ``r / size (size g' - sum g' - x^ sum g' x^)`` (5 per element, 2 per statistic); with
      fixed statistics (batch norm in evaluation, ``from_saved`` false) ``g w r``: 1 per element
      and 2 per statistic;
    - the weight's (``mask[1]``): ``sum g x^`` over the ``reduced`` rows sharing a weight (``x^``
      2, the products 1, the additions); the bias's (``mask[2]``): ``sum g``."""
    exact = 0
    if mask[0]:
        if from_saved:
            exact += (7 + weighted) * elements + statistics * (3 * size - 2) + 2 * statistics
        else:
            exact += elements + 2 * statistics
    per_weight = ratio(elements, reduced) if reduced else 0
    if len(mask) > 1 and mask[1]:
        exact += 3 * elements - per_weight
    if len(mask) > 2 and mask[2]:
        exact += elements - per_weight
    return exact


@register_formula("aten::native_batch_norm_backward")
def batch_norm_backward(grad_out, x, weight, running_mean, running_var, save_mean, save_invstd, train, eps, mask,
                        *, out_shape=None):
    """Batch norm's gradient: ``C`` statistics of ``N * spatial`` elements (training), or the
    running ones (evaluation)."""
    elements, channels = numel(x), x[1]
    return counts(_normalization_gradient(elements, channels, ratio(elements, channels), weight is not None, mask,
                                          channels, from_saved=bool(train)), moduleprofiler=0)


@register_formula("aten::native_layer_norm_backward")
def layer_norm_backward(grad_out, x, normalized_shape, mean, rstd, weight, bias, mask, *, out_shape=None):
    """Layer norm's gradient: a statistic per row of the normalized sizes."""
    elements, size = numel(x), numel(normalized_shape)
    return counts(_normalization_gradient(elements, ratio(elements, size), size, weight is not None, mask, size),
                  moduleprofiler=0)


@register_formula("aten::native_group_norm_backward")
def group_norm_backward(grad_out, x, mean, rstd, weight, batch, channels, spatial, group, mask, *, out_shape=None):
    """Group norm's gradient: ``N * groups`` statistics; a weight per channel."""
    elements = numel(x)
    statistics = batch * group
    return counts(_normalization_gradient(elements, statistics, ratio(elements, statistics), weight is not None,
                                          mask, channels), moduleprofiler=0)


@register_formula("aten::_weight_norm_interface_backward")
def weight_norm_backward(grad_w, v, g, norms, dim, *, out_shape=None):
    """Weight normalisation's gradient, per slice of ``M`` elements: ``grad_g = sum(grad_w v) /
    ||v||`` (``2 M``), ``grad_v = g / ||v|| (grad_w - v grad_g / ||v||)`` (3 per element, 2 per
    slice): ``5 M + 2``."""
    slices = numel(g)
    return counts(slices * (5 * ratio(numel(v), slices) + 2), moduleprofiler=0)


# -- poolings and interpolation ------------------------------------------------------------------


@register_formula("aten::max_pool1d_with_indices_backward", "aten::max_pool2d_with_indices_backward",
                  "aten::max_pool3d_with_indices_backward", "aten::adaptive_max_pool2d_backward",
                  "aten::adaptive_max_pool3d_backward", "aten::adaptive_max_pool1d_backward")
def max_pool_backward(grad_out, x, *args, out_shape=None, **kwargs):
    """Each window's gradient added into the position its maximum came from (which depends on the
    values): one addition per window, into the zeroed gradient."""
    return counts(numel(grad_out), moduleprofiler=0)


@register_formula("aten::avg_pool1d_backward", "aten::avg_pool2d_backward", "aten::avg_pool3d_backward")
def average_pool_backward(grad_out, x, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True,
                          divisor_override=None, *, out_shape=None):
    """Each window's gradient divided by its divisor (1 per window) and spread over the elements
    it read: at each input position one addition fewer than the windows reading it (the tap
    lattice of the window, :func:`tap_grid`)."""
    dims = len(x) - 2 if len(_each(kernel_size, 1)) == 1 else len(_each(kernel_size, 1))
    kernel, stride, padding, _ = _window_arguments(kernel_size, stride, padding, 1, dims)
    arithmetic = arithmetic_of(grad_out, x)
    taps = window = numel(x[:-dims])
    for A, W, k, s, p in zip(grad_out[-dims:], x[-dims:], kernel, stride, padding, strict=True):
        kept, _, covered, _ = tap_grid(A, W, k, s, p, 1, arithmetic)
        taps, window = taps * kept, window * covered
    return counts(numel(grad_out) + taps - window, moduleprofiler=0)


@register_formula("aten::_adaptive_avg_pool2d_backward", "aten::_adaptive_avg_pool3d_backward",
                  "aten::adaptive_avg_pool1d_backward")
def adaptive_average_backward(grad_out, x, *, out_shape=None):
    """Each window's gradient divided by its size and spread over it: the windows cover every
    input, so the additions are the window elements less the inputs."""
    return counts(numel(grad_out) + _adaptive_elements(x, tuple(grad_out[len(x) - len(grad_out) + 2:]))
                  - numel(x), moduleprofiler=0)


#: interpolation gradient -> the source elements each output element's gradient goes to
_SOURCES = {"upsample_nearest1d_backward": 1, "upsample_nearest2d_backward": 1, "upsample_nearest3d_backward": 1,
            "_upsample_nearest_exact1d_backward": 1, "_upsample_nearest_exact2d_backward": 1,
            "_upsample_nearest_exact3d_backward": 1, "upsample_linear1d_backward": 2,
            "upsample_bilinear2d_backward": 4, "upsample_bicubic2d_backward": 16,
            "upsample_trilinear3d_backward": 8}


def _interpolation_gradient(sources: int) -> Callable:
    def formula(grad_out, output_size, input_size, *args, out_shape=None, **kwargs):
        """An interpolation's gradient: each output's gradient weighted (but nearest's) and added
        into its sources, one addition fewer than contributions at each input (every input
        receives one when the output is larger; a smaller output adds none)."""
        contributions = sources * numel(grad_out)
        products = contributions if sources > 1 else 0
        positive = arithmetic_of(grad_out, input_size).positive  # (each input receives one at most once)
        return counts(products + positive(contributions - numel(input_size)), moduleprofiler=0)

    return formula


for _name, _sources in _SOURCES.items():
    register_formula(f"aten::{_name}")(_interpolation_gradient(_sources))


#: grid sampling's taps per point and axes: mode -> (taps of a point as a function of its axes)
_GRID_TAPS = {"nearest": lambda axes: 1, "bilinear": lambda axes: 2 ** axes, "trilinear": lambda axes: 2 ** axes,
              "bicubic": lambda axes: 4 ** axes}
#: the four cubic weights' derivatives in the fraction t, quadratics by Horner: 4 + 3 + 4 + 3
_CUBIC_DERIVATIVES = 14


@register_formula("aten::grid_sampler_2d_backward", "aten::grid_sampler_3d_backward")
def grid_sample_backward(grad_out, x, grid, interpolation_mode, padding_mode, align_corners, output_mask=(True, True),
                         *, out_shape=None):
    """``F.grid_sample``'s gradient (see :func:`~analytic.formulas.interpolation.grid_sample`):
    each point's source coordinates again; for the input's gradient each tap's weight (the product
    of its axes' weights, with ``1 - t`` of each axis for linear sampling), then per channel ``g w``
    added into each tap; for the grid's gradient, per axis each tap's weight differentiated along
    it (the other axes' weights times ``-1``, ``1`` or a cubic weight's derivative), per channel the
    dot product of the taps' values with them, times ``g``, added over the channels, and the sum
    times the coordinate map's derivative.  Nearest sampling has no gradient for the grid."""
    mode, points, per_point = grid_coordinates(x, grid, interpolation_mode, padding_mode, align_corners)
    axes, channels = len(x) - 2, x[1]
    taps = _GRID_TAPS[mode](axes)
    inputs, grids = (bool(output_mask[0]), bool(output_mask[1] and mode != "nearest"))
    linear = mode in ("bilinear", "trilinear")
    # each tap's weight: the product of its axes' weights (nearest: 1)
    per_point += (inputs and mode != "nearest") * taps * (axes - 1) + (linear and (inputs or grids)) * axes
    per_channel = inputs * (2 * taps if mode != "nearest" else 1)
    if grids:
        # along an axis a tap's weight is -1 or 1 times the other axes' (linear), a cubic weight's
        # derivative times them (bicubic); the chain through the coordinate map: once per axis
        per_point += axes * (taps * (axes - 2 if linear else axes - 1) + 1) + (not linear) * axes * _CUBIC_DERIVATIVES
        per_channel += axes * (2 * taps + 1)
    return counts(points * (per_point + channels * per_channel), moduleprofiler=0)


@register_formula("aten::reflection_pad1d_backward", "aten::reflection_pad2d_backward",
                  "aten::reflection_pad3d_backward", "aten::replication_pad1d_backward",
                  "aten::replication_pad2d_backward", "aten::replication_pad3d_backward")
def padding_backward(grad_out, x, padding, *, out_shape=None):
    """A reflection or replication padding's gradient: each padded position's gradient added to
    the input position it copied."""
    return counts(numel(grad_out) - numel(x), moduleprofiler=0)


# -- softmax, lookups ----------------------------------------------------------------------------


@register_formula("aten::_softmax_backward_data")
def softmax_backward(grad_out, y, dim, dtype, *, out_shape=None):
    """``y (g - sum(g y))`` per row of ``L``: ``2 L - 1`` for the sum, 2 per element: ``4 L - 1``."""
    length = grad_out[dim % len(grad_out)] if grad_out else 1
    return counts(ratio(numel(grad_out), length) * (4 * length - 1), moduleprofiler=0)


@register_formula("aten::_log_softmax_backward_data")
def log_softmax_backward(grad_out, y, dim, dtype, *, out_shape=None):
    """``g - exp(y) sum(g)`` per row of ``L``: ``L - 1`` for the sum, 3 per element: ``4 L - 1``."""
    length = grad_out[dim % len(grad_out)] if grad_out else 1
    return counts(ratio(numel(grad_out), length) * (4 * length - 1), moduleprofiler=0)


@register_formula("aten::embedding_dense_backward")
def embedding_backward(grad_out, indices, num_weights, padding_idx, scale_grad_by_freq, *, out_shape=None):
    """Each looked-up row's gradient added into the table's gradient (which rows depends on the
    values): ``numel(indices) * D`` additions into the zeroed gradient."""
    return counts(numel(grad_out), moduleprofiler=0)


# -- attention -----------------------------------------------------------------------------------


@register_formula("aten::_scaled_dot_product_flash_attention_for_cpu_backward",
                  "aten::_scaled_dot_product_flash_attention_backward",
                  "aten::_scaled_dot_product_efficient_attention_backward",
                  "aten::_scaled_dot_product_cudnn_attention_backward")
def attention_backward(grad_out, q, k, v, *args, out_shape=None, is_causal=False, attn_mask=None, **kwargs):
    """A fused attention kernel's gradient, ``q`` ``(B, H, L, E)``, ``k`` ``(B, H, S, E)``, ``v``
    ``(B, H, S, E_v)``: the scores recomputed ``q k^T``, ``dV = P^T dO``, ``dP = dO V^T``,
    ``dQ = dS K``, ``dK = dS^T Q`` (torch's counter's five products, ``flops``).  The exact count
    over the pairs ``P`` the kernel keeps (:func:`causal_pairs` when causal): the scores ``(2 E -
    1) P`` and ``P = exp(s * scale - lse)`` (3 a pair), ``dV`` ``E_v (2 P - S)``, ``dP``
    ``(2 E_v - 1) P``, ``D = rowsum(dO o)`` ``L (2 E_v - 1)``, ``dS = P (dP - D)`` (2 a pair),
    ``dQ`` ``E (2 P - L)`` and ``dK`` ``E (2 P - S)`` with their scalings ``E (L + S)``."""
    if not is_causal:  # the kernels pass it positionally: the first bool after the tensors
        is_causal = next((a for a in args if isinstance(a, bool)), False)
    batch = q[0] * q[1]
    queries, keys, width, values = q[2], k[2], q[3], v[3]
    flops = sum(matmul_counts(batch, m, n, p, False)["flops"] for m, n, p in (
        (queries, width, keys), (queries, values, keys), (keys, queries, values), (queries, keys, width),
        (width, queries, keys)))
    pairs = causal_pairs(queries, keys) if is_causal else queries * keys
    exact = (pairs * (2 * width - 1) + 3 * pairs + values * (2 * pairs - keys) + pairs * (2 * values - 1)
             + queries * (2 * values - 1) + 2 * pairs + width * (2 * pairs - queries) + width * (2 * pairs - keys)
             + width * (queries + keys))
    return counts(batch * exact, moduleprofiler=0, flops=flops, macs=flops // 2)


# -- the fused LSTM layer --------------------------------------------------------------------------


def _lstm_step_gradient(batch, inputs, hidden, has_biases: bool) -> list:
    """The operator calls of one LSTM step's gradient, as ``(operator, shapes, output shape)``:
    the gates' gradients (``dc`` through ``h = o tanh(c)``, ``c = f c' + i g``: six products, an
    addition, two tanh and three sigmoid gradients), the products with the weights (the input's
    and the previous state's gradients) and the weights' own (accumulated over the steps)."""
    gates, state = Shape((batch, 4 * hidden)), Shape((batch, hidden))
    calls = [("aten::mul", (state, state), state)] * 6 + [("aten::add", (state, state), state)]
    calls += [("aten::tanh_backward", (state, state), state)] * 2
    calls += [("aten::sigmoid_backward", (state, state), state)] * 3
    for size in (inputs, hidden):
        weight = Shape((4 * hidden, size))
        calls.append(("aten::mm", (gates, Shape((4 * hidden, size))), Shape((batch, size))))  # dx, dh
        calls.append(("aten::mm", (Shape((4 * hidden, batch)), Shape((batch, size))), weight))  # dW
        calls.append(("aten::add", (weight, weight), weight))  # accumulated over the steps
    if has_biases:
        calls.append(("aten::sum", (gates, (0,)), Shape((4 * hidden,))))
        calls.append(("aten::add", (Shape((4 * hidden,)),) * 2, Shape((4 * hidden,))))
    return calls


@register_formula("aten::mkldnn_rnn_layer_backward")
def lstm_layer_backward(x, w_ih, w_hh, b_ih, b_hh, hx, cx, output, hy, cy, grad_output, grad_hy, grad_cy, reverse,
                        mode, hidden_size, num_layers, has_biases, train, bidirectional, *args, out_shape=None,
                        **kwargs):
    """The gradient of one direction of one LSTM layer over ``x`` ``(steps, batch, inputs)``: its
    steps' gradient operators, each counted by its formula."""
    if mode != _LSTM:
        raise ValueError(f"aten::mkldnn_rnn_layer_backward in mode {mode}: tapcount counts its LSTM mode ({_LSTM})"
                         f" only")
    steps, batch, inputs = x
    total: dict = {}
    for op, shapes, out in _lstm_step_gradient(batch, inputs, hidden_size, has_biases):
        for convention, value in FORMULAS[op](*shapes, out_shape=out).items():
            total[convention] = total.get(convention, 0) + steps * value
    return total


# -- gradients that only move data ---------------------------------------------------------------

for _name in ("slice_backward", "select_backward", "as_strided_backward", "diagonal_backward",
              "index_select_backward", "unsqueeze_backward", "squeeze_backward", "permute_backward",
              "expand_backward", "narrow_copy_backward", "constant_pad_nd_backward"):
    register_formula(f"aten::{_name}", kind=DATA_MOVEMENT)(counts)
