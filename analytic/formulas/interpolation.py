"""Interpolation (``F.interpolate``, ``nn.Upsample``): nearest, linear, bilinear, bicubic, trilinear.

The exact count of an output element is the weighted combination of its neighbours, done axis by
axis as nested one-dimensional interpolations; the source coordinates and weights of each axis are
index arithmetic, not counted (as a convolution's indices are not):

- nearest (and nearest-exact): ``0`` (a copy);
- linear ``a + t (b - a)``: ``3``; bilinear: three of them, ``9``; trilinear: seven, ``21``;
- bicubic: a cubic ``w0 a + w1 b + w2 c + w3 d`` (``7``) of each of four rows, then of the four
  results: ``35``.

>>> from analytic.formulas import FORMULAS
>>> FORMULAS["aten::upsample_bilinear2d"]((1, 2, 4, 4), (8, 8), False, out_shape=(1, 2, 8, 8))["exact"]
1152
"""

from __future__ import annotations

from .peers import module_is
from .registry import counts, numel, register_formula

__all__ = ["PER_OUTPUT", "interpolation"]

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
