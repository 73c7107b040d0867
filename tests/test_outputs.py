"""The outputs the meta pass makes from its inputs' shapes (analytic.profiling.outputs) are the
ones torch's meta kernels make: shapes, strides and dtypes, for drawn shapes, dtypes and memory
formats; a case the shortcut does not know is left to torch."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from analytic.profiling.outputs import fast_outputs
from tests.profiles import examples

aten = torch.ops.aten

ELEMENTWISE = [
    (aten.relu.default, 1), (aten.relu_.default, 1), (aten.hardtanh.default, 1), (aten.hardtanh_.default, 1),
    (aten.gelu.default, 1), (aten.silu.default, 1), (aten.sigmoid.default, 1), (aten.tanh.default, 1),
    (aten.hardswish.default, 1), (aten.hardsigmoid.default, 1), (aten.leaky_relu.default, 1),
    (aten.exp.default, 1), (aten.neg.default, 1), (aten.abs.default, 1), (aten.add.Tensor, 2), (aten.add_.Tensor, 2),
    (aten.sub.Tensor, 2), (aten.mul.Tensor, 2), (aten.mul_.Tensor, 2), (aten.div.Tensor, 2), (aten.eq.Tensor, 2),
    (aten.lt.Tensor, 2), (aten.maximum.default, 2), (aten.where.self, 3), (aten.isnan.default, 1),
]
DTYPES = [torch.float32, torch.float64, torch.float16, torch.int64, torch.bool]


@st.composite
def tensors(draw):
    rank = draw(st.integers(1, 4))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    dtype = draw(st.sampled_from(DTYPES[:4]))
    t = torch.empty(shape, dtype=dtype, device="meta")
    layout = draw(st.sampled_from(["contiguous", "channels_last", "transposed"]))
    if layout == "channels_last" and rank == 4:
        t = t.contiguous(memory_format=torch.channels_last)
    elif layout == "transposed" and rank >= 2:
        t = t.transpose(0, 1)
    return t


def _spec(out):
    outputs = out if isinstance(out, tuple) else (out,)
    return [(tuple(t.shape), t.stride(), t.dtype) for t in outputs]


@given(st.sampled_from(ELEMENTWISE), tensors(), st.data())
@examples(300, deadline=None)
def test_element_wise_outputs_are_torch_meta_outputs(case, first, data):
    func, arity = case
    others = data.draw(st.lists(st.sampled_from([first, first.clone(), first[..., :1], 2.0, 3]), min_size=arity - 1,
                                max_size=arity - 1))
    if func is aten.where.self:
        args = (first.to(torch.bool), first, *others[1:]) if isinstance(others[-1], torch.Tensor) else None
        if args is None or len(args) != 3:
            return
    else:
        args = (first, *others)
    name = func._schema.name
    try:
        expected = func(*[a.clone() if isinstance(a, torch.Tensor) else a for a in args])
    except (RuntimeError, TypeError, ValueError):
        return  # torch refuses the call: the shortcut is never asked
    made = fast_outputs(func, name, args, {})
    if made is None:
        return
    if func._schema.returns[0].alias_info is not None:
        assert made is args[0]
    assert _spec(made) == _spec(expected)


@given(st.integers(1, 3), st.integers(1, 5), st.lists(st.integers(1, 4), max_size=3), st.booleans(), st.booleans(),
       st.sampled_from(DTYPES[:3]))
@examples(100, deadline=None)
def test_normalisation_outputs_are_torch_meta_outputs(n, channels, spatial, training, affine, dtype):
    x = torch.empty((n, channels, *spatial), dtype=dtype, device="meta")
    w = torch.empty(channels, dtype=dtype, device="meta") if affine else None
    stats = torch.empty(channels, dtype=dtype, device="meta")
    for func, args in ((aten.native_batch_norm.default, (x, w, w, stats, stats, training, 0.1, 1e-5)),
                       (aten._native_batch_norm_legit_no_training.default, (x, w, w, stats, stats, 0.1, 1e-5))):
        made = fast_outputs(func, func._schema.name, args, {})
        try:
            expected = func(*args)
        except (RuntimeError, ZeroDivisionError):
            continue  # torch refuses the call (statistics of one value): the shortcut is never asked
        if made is not None:
            assert _spec(made) == _spec(expected), func
    width = x.shape[-1]
    ln_w = torch.empty(width, dtype=dtype, device="meta") if affine else None
    made = fast_outputs(aten.native_layer_norm.default, "aten::native_layer_norm", (x, [width], ln_w, ln_w, 1e-5), {})
    if made is not None:
        assert _spec(made) == _spec(aten.native_layer_norm(x, [width], ln_w, ln_w, 1e-5))
    for groups in (g for g in (1, 2, channels) if channels % g == 0):
        args = (x, w, w, n, channels, x[0, 0].numel(), groups, 1e-5)
        made = fast_outputs(aten.native_group_norm.default, "aten::native_group_norm", args, {})
        if made is not None:
            assert _spec(made) == _spec(aten.native_group_norm(*args))
