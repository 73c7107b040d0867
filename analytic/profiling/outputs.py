"""The outputs of frequent operators on the meta device, made from their inputs' shapes without
running torch's meta kernels (written in Python for many operators, they cost hundreds of
microseconds a call where a real kernel on a small tensor costs a few).

Each function returns the operator's outputs as new meta tensors of the shapes, strides and dtypes
torch's meta kernel gives (the tests hold every one equal to torch's on drawn shapes, dtypes and
memory formats), or ``None`` where the case is not one it knows: then torch's kernel runs.  A call
the CPU's kernel refuses is refused with its message, also where torch's meta kernel would accept
it (a transposed convolution's input channels).

- element-wise operators (torch's ``pointwise`` tag) on floating-point tensors of one shape,
  strides and dtype, and Python numbers: an output like the first tensor (a boolean one for a
  comparison); an in-place one returns the tensor it writes;
- batch, layer and group normalisation on float32 and float64: an output like the input, and the
  statistics torch returns beside it;
- means and sums over dimensions, matrix products and convolutions of contiguous floating-point
  tensors;
- grouped matrix products (``torch._grouped_mm``, a mixture of experts'): torch's meta kernel
  takes bfloat16 only, its CPU kernel float32 too.
"""

from __future__ import annotations

import torch

__all__ = ["META", "STRICTER_THAN_CPU", "fast_outputs", "output_maker"]

#: the meta device, as an object (torch parses no string when given one)
META = torch.device("meta")
_FLOATS = (torch.float32, torch.float64)
#: element-wise operators whose result is a boolean tensor
_BOOLEAN = frozenset(("eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor", "logical_not",
                      "isnan", "isinf", "isfinite", "signbit", "isneginf", "isposinf"))
#: element-wise operators torch does not tag ``pointwise``
_UNTAGGED = frozenset(("hardswish", "hardswish_"))
#: element-wise operators that change a shape, a dtype or read more than values (not summarised here)
_EXCLUDED = frozenset(("where", "masked_fill", "lerp", "polar", "complex", "angle", "bernoulli", "copy", "_to_copy",
                       "clone", "fill", "zero", "nan_to_num", "float_power", "frexp", "to"))


def _strides(shape, memory_format) -> tuple[int, ...]:
    """The strides torch lays a new tensor of ``shape`` out with in ``memory_format``."""
    order = {torch.channels_last: (1, 3, 2, 0), torch.channels_last_3d: (1, 4, 3, 2, 0)}.get(
        memory_format, tuple(range(len(shape) - 1, -1, -1)))  # innermost dimension first
    strides = [0] * len(shape)
    step = 1
    for d in order:
        strides[d] = step
        step *= max(shape[d], 1)
    return tuple(strides)


def _format(t: torch.Tensor):
    """The memory format whose exact strides ``t`` has (an element-wise result takes them), or
    ``None`` (other strides: torch's own rules, left to its kernel)."""
    formats = [torch.contiguous_format] + ([torch.channels_last] if t.dim() == 4 else []) + (
        [torch.channels_last_3d] if t.dim() == 5 else [])
    stride = t.stride()
    return next((f for f in formats if _strides(t.shape, f) == stride), None)


def _like(t: torch.Tensor, dtype=None) -> torch.Tensor:
    """A new tensor of ``t``'s shape and strides."""
    return torch.empty_strided(t.shape, t.stride(), dtype=dtype or t.dtype, device=META)


def _elementwise(base: str, inplace: bool, args, kwargs):
    tensors = [a for a in args if isinstance(a, torch.Tensor)] + [v for v in kwargs.values()
                                                                  if isinstance(v, torch.Tensor)]
    first = tensors[0]
    if first.dtype not in _FLOATS or _format(first) is None:
        return None
    for t in tensors[1:]:
        if t.shape != first.shape or t.stride() != first.stride() or t.dtype != first.dtype:
            return None
    for value in (*args, *kwargs.values()):
        if not isinstance(value, (torch.Tensor, int, float, bool, str, type(None))) or isinstance(value, complex):
            return None
    if inplace:
        return args[0]
    return _like(first, torch.bool if base in _BOOLEAN else None)


def _statistics(count, dtype):
    return torch.empty((count,), dtype=dtype, device=META)


def _batch_norm(x, weight=None, bias=None, running_mean=None, running_var=None, *rest, **kwargs):
    if x.dim() < 2 or x.dtype not in _FLOATS or _format(x) is None:
        return None
    channels = x.shape[1]
    if any(t is not None and (not isinstance(t, torch.Tensor) or tuple(t.shape) != (channels,))
           for t in (weight, bias, running_mean, running_var)):
        return None  # torch refuses it: its kernel says why
    return _like(x), _statistics(channels, x.dtype), _statistics(channels, x.dtype)


def _layer_norm(x, normalized_shape, weight=None, bias=None, *rest, **kwargs):
    if x.dtype not in _FLOATS or _format(x) is not torch.contiguous_format:
        return None
    normalized = tuple(normalized_shape)
    if not normalized or tuple(x.shape[x.dim() - len(normalized):]) != normalized or any(
            t is not None and tuple(t.shape) != normalized for t in (weight, bias)):
        return None
    kept = x.shape[:x.dim() - len(normalized_shape)]
    shape = (*kept, *(1,) * len(normalized_shape))
    return (_like(x), torch.empty(shape, dtype=x.dtype, device=META), torch.empty(shape, dtype=x.dtype,
                                                                                    device=META))


def _reduction(x, dims=None, keepdim=False, *, dtype=None, **kwargs):
    """A mean or sum over ``dims`` of a contiguous floating-point tensor: contiguous, its dtype."""
    if x.dtype not in _FLOATS or _format(x) is not torch.contiguous_format or dtype not in (None, x.dtype):
        return None
    rank = x.dim()
    reduced = set(range(rank)) if not dims else {d % rank for d in dims}
    shape = [1 if d in reduced else n for d, n in enumerate(x.shape) if keepdim or d not in reduced]
    return torch.empty(shape, dtype=x.dtype, device=META)


def _matrix_product(*tensors, beta=1, alpha=1):
    """``mm``/``bmm`` (two matrices) or ``addmm``/``baddbmm`` (a bias, then two): contiguous."""
    a, b = tensors[-2], tensors[-1]
    if a.dtype not in _FLOATS or any(t.dtype != a.dtype for t in tensors) or a.dim() != b.dim() or a.dim() not in (
            2, 3) or a.shape[-1] != b.shape[-2] or a.shape[:-2] != b.shape[:-2]:
        return None  # torch refuses it (or it is not a product this knows): its kernel says why
    out = (*a.shape[:-1], b.shape[-1])
    if len(tensors) == 3:  # the bias must broadcast to the product
        try:
            if torch.broadcast_shapes(tensors[0].shape, out) != torch.Size(out):
                return None
        except RuntimeError:
            return None
    return torch.empty(out, dtype=a.dtype, device=META)


def _grouped_product(a, b, offs=None, bias=None, out_dtype=None):
    """``torch._grouped_mm`` of floating-point operands, whose meta kernel accepts bfloat16 only
    where the CPU's takes float32 too: the output (contiguous) of its four layouts, refused as the
    CPU refuses strides that are not multiples of 16 bytes."""
    if a.dtype not in (*_FLOATS, torch.bfloat16) or b.dtype != a.dtype or bias is not None or (
            a.shape[-1] != b.shape[-2 if b.dim() == 3 or a.dim() == 2 else 0]):
        return None
    for t in (a, b):
        if any(stride * t.element_size() % 16 for stride, size in zip(t.stride(), t.shape, strict=True)
               if stride != 1 and size > 1):
            raise RuntimeError("strides should be multiple of 16 bytes")
    groups = 0 if offs is None else offs.shape[0]
    if a.dim() == 2 and b.dim() == 3:
        out = (a.shape[0], b.shape[2])
    elif a.dim() == 3 and b.dim() == 2:
        out = (a.shape[1], b.shape[1])
    elif a.dim() == 3 and b.dim() == 3:
        out = (a.shape[0], a.shape[1], b.shape[2])
    else:
        out = (groups, a.shape[0], b.shape[1])
    if (a.dim() == 3 and b.dim() == 3) != (offs is None):
        return None  # torch refuses it: its kernel says why
    return torch.empty(out, dtype=out_dtype or a.dtype, device=META)


def _convolution(x, w, bias, stride, padding, dilation, transposed, output_padding, groups, *rest):
    """A convolution of contiguous floating-point input and weight: a contiguous output of the size
    torch's output-size formulas give (in both directions)."""
    if x.dtype not in _FLOATS or w.dtype != x.dtype or x.dim() < 3 or x.dim() != w.dim() or any(
            _format(t) is not torch.contiguous_format for t in (x, w)):
        return None
    dims = x.dim() - 2
    if groups < 1 or any(len(v) != dims for v in (stride, padding, dilation, output_padding)):
        return None
    channels = w.shape[1] * groups if transposed else w.shape[0]
    reads = w.shape[0] if transposed else w.shape[1] * groups
    if x.shape[1] != reads:  # the CPU kernel refuses it; torch's meta kernel of a transposed one does not
        raise RuntimeError(f"Given transposed={int(transposed)}, weight of size {list(w.shape)}, expected input"
                           f"{list(x.shape)} to have {reads} channels, but got {x.shape[1]} channels instead")
    if (w.shape[0] % groups) or (bias is not None and tuple(bias.shape) != (channels,)):
        return None  # torch refuses it: its kernel says why
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0 or (transposed and any(
            o >= max(s, d) or o < 0 for o, s, d in zip(output_padding, stride, dilation, strict=True))):
        return None
    spatial = []
    for i, n in enumerate(x.shape[2:]):
        k, s, p, d = w.shape[2 + i], stride[i], padding[i], dilation[i]
        if transposed:
            spatial.append((n - 1) * s - 2 * p + d * (k - 1) + output_padding[i] + 1)
        else:
            spatial.append((n + 2 * p - d * (k - 1) - 1) // s + 1)
    if min(spatial) < 1:
        return None  # torch refuses it: its kernel says why
    return torch.empty((x.shape[0], channels, *spatial), dtype=x.dtype, device=META)


def _group_norm(x, weight, bias, batch, channels, spatial, group, eps, **kwargs):
    if x.dtype not in _FLOATS or _format(x) is not torch.contiguous_format or not isinstance(batch, int):
        return None
    return (_like(x), torch.empty((batch, group), dtype=x.dtype, device=META),
            torch.empty((batch, group), dtype=x.dtype, device=META))


#: operator name -> its outputs' maker (the element-wise ones are found by their tag)
MAKERS = {"aten::native_batch_norm": _batch_norm, "aten::_native_batch_norm_legit_no_training": _batch_norm,
          "aten::native_layer_norm": _layer_norm, "aten::native_group_norm": _group_norm,
          "aten::mean": _reduction, "aten::sum": _reduction, "aten::mm": _matrix_product,
          "aten::addmm": _matrix_product, "aten::bmm": _matrix_product, "aten::baddbmm": _matrix_product,
          "aten::convolution": _convolution, "aten::_grouped_mm": _grouped_product}


#: operators whose meta kernel refuses calls the CPU's computes, and their outputs' maker (used on a
#: pass of symbolic sizes too, where torch's kernel fails)
STRICTER_THAN_CPU = {"aten::_grouped_mm": _grouped_product}


def _all_meta(args) -> bool:
    return all(a.is_meta for a in args if isinstance(a, torch.Tensor))


def output_maker(func):
    """The maker of ``func``'s outputs from its inputs' metadata, read once per operator: a function
    ``(args, kwargs) -> outputs or None`` (``None``: a case it does not know, run the operator), or
    ``None`` for an operator this module does not summarise."""
    name = func._schema.name
    maker = MAKERS.get(name)
    if maker is not None:
        return lambda args, kwargs: maker(*args, **kwargs) if _all_meta(args) else None
    base = name.partition("::")[2]
    if torch.Tag.pointwise not in func.tags and base not in _UNTAGGED:
        return None
    inplace = base.endswith("_")
    base = base.rstrip("_")
    if base in _EXCLUDED or (inplace and func._schema.returns[0].alias_info is None):
        return None

    def elementwise(args, kwargs):
        if not args or not isinstance(args[0], torch.Tensor) or not args[0].is_meta:
            return None
        return _elementwise(base, inplace, args, kwargs)

    return elementwise


def fast_outputs(func, args, kwargs):
    """``func(*args, **kwargs)``'s outputs made from the inputs' metadata, or ``None`` where this
    module does not know the case (then run the operator)."""
    maker = output_maker(func)
    return None if maker is None else maker(args, kwargs)
