"""Interpolation (``F.interpolate``, ``nn.Upsample``): nearest, linear, bilinear, bicubic, trilinear.

The exact count of an output element is the weighted combination of its neighbours, done axis by
axis as nested one-dimensional interpolations; the source coordinates and weights of each axis are
index arithmetic, not counted (as a convolution's indices are not):

- nearest (and nearest-exact): ``0`` (a copy);
- linear ``a + t (b - a)``: ``3``; bilinear: three of them, ``9``; trilinear: seven, ``21``;
- bicubic: a cubic ``w0 a + w1 b + w2 c + w3 d`` (``7``) of each of four rows, then of the four
  results: ``35``.

Sampling at the coordinates of a grid (``F.grid_sample``) interpolates the same way, but its
source coordinates are values, read from the grid, so their arithmetic counts: per grid point and
axis, the grid's ``g`` in ``[-1, 1]`` mapped to the input, ``(g + 1)(n - 1)/2`` (``2``) or with
``align_corners=False`` ``(g + 1) n/2 - 1/2`` (``3``); the padding of a coordinate outside, for
nearest and (bi/tri)linear sampling, by clipping to ``[0, n - 1]`` (``2``) or by reflection then
clipping (``12``: ``|x - lo|``, its remainder and quotient by the span, the quotient's parity,
both reflected candidates); then nearest rounds (``1``), linear takes ``floor`` and ``t = x -
floor(x)`` (``2``) and bicubic computes its four cubic weights too (``27``, the taps' own padding
being index arithmetic).  Each channel then interpolates as above.  ``F.affine_grid`` maps every
grid point by ``theta``: ``A p + b``, ``D`` multiplications and ``D`` additions per coordinate.

>>> from analytic.formulas import FORMULAS
>>> FORMULAS["aten::upsample_bilinear2d"]((1, 2, 4, 4), (8, 8), False, out_shape=(1, 2, 8, 8))["exact"]
1152
"""

from __future__ import annotations

from .peers import module_is
from .registry import counts, numel, register_formula

__all__ = ["PER_OUTPUT", "affine_grid", "grid_coordinates", "grid_sample", "interpolation"]

#: mode -> (its operators, exact operations per output element, thop's, fvcore's)
PER_OUTPUT = {
    "nearest": (("upsample_nearest1d", "upsample_nearest2d", "upsample_nearest3d", "_upsample_nearest_exact1d",
                 "_upsample_nearest_exact2d", "_upsample_nearest_exact3d"), 0, 1),
    "linear": (("upsample_linear1d",), 3, 5),
    "bilinear": (("upsample_bilinear2d", "_upsample_bilinear2d_aa"), 9, 11),
    "bicubic": (("upsample_bicubic2d", "_upsample_bicubic2d_aa"), 35, 259),
    "trilinear": (("upsample_trilinear3d",), 21, 0),  # thop warns and counts nothing
}
#: fvcore's handles: operator -> operations per output element
_FVCORE = {"upsample_nearest2d": 1, "upsample_bilinear2d": 4}
_UPSAMPLE_MODULES = ("Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d")


def interpolation(name: str, exact: int, thop: int):
    def formula(x, *args, out_shape=None, module=None, **kwargs):
        outputs = numel(out_shape)
        # ptflops: the Upsample module's hook (output elements) and its patched F.interpolate
        # (the output's elements), which the module calls
        ptflops = outputs * (2 if module_is(module, *_UPSAMPLE_MODULES) else 1)
        return counts(exact * outputs, moduleprofiler=0, macs=_FVCORE.get(name, 0) * outputs, ptflops=ptflops,
                      thop=thop * outputs, deepspeed=outputs)

    formula.__name__ = name
    formula.__doc__ = f"``aten::{name}``: {exact} operations per output element."
    return formula


for _ops, _exact, _thop in PER_OUTPUT.values():
    for _op in _ops:
        register_formula(f"aten::{_op}")(interpolation(_op, _exact, _thop))


#: grid_sample's interpolation modes (torch's codes): per channel of a grid point, per axis of a point
_SAMPLING = {0: ("bilinear", 2), 1: ("nearest", 1), 2: ("bicubic", 27)}
#: grid_sample's padding modes (torch's codes): operations per axis of a grid point
_PADDING = {0: 0, 1: 2, 2: 12}


@register_formula("aten::grid_sampler_2d", "aten::grid_sampler_3d")
def grid_sample(x, grid, interpolation_mode, padding_mode, align_corners, *, out_shape=None):
    """``F.grid_sample``: per grid point and axis its coordinate mapped, padded and (for linear
    and cubic sampling) split into ``floor`` and fraction, then per channel the interpolation of
    :data:`PER_OUTPUT` (see the module's description)."""
    mode, points, per_point = grid_coordinates(x, grid, interpolation_mode, padding_mode, align_corners)
    # fvcore's handle for aten::grid_sampler: 4 per output element, as if bilinear
    return counts(points * (per_point + x[1] * PER_OUTPUT[mode][1]), moduleprofiler=0, macs=4 * numel(out_shape))


def grid_coordinates(x, grid, interpolation_mode: int, padding_mode: int, align_corners: bool) -> tuple:
    """``(mode, points, per_point)`` of a grid sampling of ``x`` at ``grid`` (shapes): its mode's
    name (``"trilinear"`` for bilinear in 3-d), the grid's points, and the operations of each
    point's source coordinates (mapped, padded, split into ``floor`` and fraction, and for bicubic
    sampling its cubic weights)."""
    axes = len(x) - 2
    mode, per_axis = _SAMPLING[interpolation_mode]
    if mode == "bilinear" and axes == 3:
        mode = "trilinear"
    padding = 0 if mode == "bicubic" else _PADDING[padding_mode]
    # the reflection of an axis of one element with align_corners=True is that element: clipping only
    reflected = [2 if padding == 12 and align_corners and n == 1 else padding for n in x[2:]]
    return mode, numel(grid[:-1]), axes * ((2 if align_corners else 3) + per_axis) + sum(reflected)


@register_formula("aten::affine_grid_generator")
def affine_grid(theta, size, align_corners, *, out_shape=None):
    """``F.affine_grid``: each grid point ``p`` of ``D`` coordinates mapped to ``A p + b``."""
    axes = len(size) - 2
    return counts(numel(out_shape[:-1]) * axes * 2 * axes, moduleprofiler=0)
