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
    try:
        expected = func(*[a.clone() if isinstance(a, torch.Tensor) else a for a in args])
    except (RuntimeError, TypeError, ValueError):
        return  # torch refuses the call: the shortcut is never asked
    made = fast_outputs(func, args, {})
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
        made = fast_outputs(func, args, {})
        try:
            expected = func(*args)
        except (RuntimeError, ZeroDivisionError):
            continue  # torch refuses the call (statistics of one value): the shortcut is never asked
        if made is not None:
            assert _spec(made) == _spec(expected), func
    width = x.shape[-1]
    ln_w = torch.empty(width, dtype=dtype, device="meta") if affine else None
    made = fast_outputs(aten.native_layer_norm.default, (x, [width], ln_w, ln_w, 1e-5), {})
    if made is not None:
        assert _spec(made) == _spec(aten.native_layer_norm(x, [width], ln_w, ln_w, 1e-5))
    for groups in (g for g in (1, 2, channels) if channels % g == 0):
        args = (x, w, w, n, channels, x[0, 0].numel(), groups, 1e-5)
        made = fast_outputs(aten.native_group_norm.default, args, {})
        if made is not None:
            assert _spec(made) == _spec(aten.native_group_norm(*args))


@given(tensors(), st.data())
@examples(200, deadline=None)
def test_reduction_and_product_outputs_are_torch_meta_outputs(x, data):
    dims = data.draw(st.lists(st.integers(-x.dim(), x.dim() - 1), max_size=x.dim(), unique_by=lambda d: d % x.dim()))
    keepdim = data.draw(st.booleans())
    cases = [(aten.mean.dim, (x, dims, keepdim)), (aten.sum.dim_IntList, (x, dims, keepdim)),
             (aten.mean.default, (x,)), (aten.sum.default, (x,))]
    n, k, m, batch = (data.draw(st.integers(1, 4)) for _ in range(4))
    dtype = x.dtype
    a, b = torch.empty(n, k, dtype=dtype, device="meta"), torch.empty(k, m, dtype=dtype, device="meta")
    bias = torch.empty(data.draw(st.sampled_from([(m,), (n, m), (1, m)])), dtype=dtype, device="meta")
    ba, bb = torch.empty(batch, n, k, dtype=dtype, device="meta"), torch.empty(batch, k, m, dtype=dtype, device="meta")
    cases += [(aten.mm.default, (a, b)), (aten.addmm.default, (bias, a, b)), (aten.bmm.default, (ba, bb)),
              (aten.baddbmm.default, (torch.empty(batch, n, m, dtype=dtype, device="meta"), ba, bb))]
    for func, args in cases:
        try:
            expected = func(*args)
        except (RuntimeError, TypeError, ValueError):
            continue
        made = fast_outputs(func, args, {})
        if made is not None:
            assert _spec(made) == _spec(expected), func


@given(st.integers(1, 3), st.booleans(), st.integers(1, 2), st.data())
@examples(200, deadline=None)
def test_convolution_outputs_are_torch_meta_outputs(dims, transposed, groups, data):
    c_in, c_out = groups * data.draw(st.integers(1, 3)), groups * data.draw(st.integers(1, 3))
    kernel = [data.draw(st.integers(1, 4)) for _ in range(dims)]
    stride = [data.draw(st.integers(1, 3)) for _ in range(dims)]
    padding = [data.draw(st.integers(0, 3)) for _ in range(dims)]
    dilation = [data.draw(st.integers(1, 2)) for _ in range(dims)]
    output_padding = ([data.draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation, strict=True)]
                      if transposed else [0] * dims)
    x = torch.empty(data.draw(st.integers(1, 2)), c_in, *(data.draw(st.integers(1, 6)) for _ in range(dims)),
                    device="meta", dtype=data.draw(st.sampled_from([torch.float32, torch.float64])))
    weight = (c_in, c_out // groups, *kernel) if transposed else (c_out, c_in // groups, *kernel)
    w = torch.empty(weight, dtype=x.dtype, device="meta")
    bias = torch.empty(c_out, dtype=x.dtype, device="meta") if data.draw(st.booleans()) else None
    args = (x, w, bias, stride, padding, dilation, transposed, output_padding, groups)
    func = aten.convolution.default
    try:
        expected = func(*args)
    except (RuntimeError, TypeError, ValueError):
        return
    made = fast_outputs(func, args, {})
    if made is None:  # left to torch: an empty output, which its kernel judges
        assert 0 in expected.shape
    else:
        assert _spec(made) == _spec(expected)


def test_what_torch_refuses_is_left_to_torch():
    # the shortcut never makes outputs for a call torch's kernel would refuse: the error is torch's
    x = torch.empty(1, 2, 10, device="meta")
    refused = [
        (aten.convolution.default, (x, torch.empty(4, 2, 5, device="meta"), torch.empty(3, device="meta"), [1],
                                    [0], [1], False, [0], 1)),
        (aten.convolution.default, (x, torch.empty(2, 4, 5, device="meta"), None, [2], [0], [1], True, [2], 1)),
        (aten.mm.default, (torch.empty(2, 3, device="meta"), torch.empty(4, 5, device="meta"))),
        (aten.addmm.default, (torch.empty(7, device="meta"), torch.empty(2, 3, device="meta"),
                              torch.empty(3, 5, device="meta"))),
        (aten.native_batch_norm.default, (x, torch.empty(3, device="meta"), None, None, None, True, 0.1, 1e-5)),
        (aten.native_layer_norm.default, (x, [9], None, None, 1e-5)),
    ]
    for func, args in refused:
        assert fast_outputs(func, args, {}) is None, func


def test_a_wrong_channel_count_is_refused_as_the_cpu_refuses_it():
    import pytest

    import analytic

    # torch's meta kernel of a transposed convolution does not check the input's channels; the CPU does
    for module, shape in ((torch.nn.ConvTranspose1d(1, 1, 3), (1, 2, 5)), (torch.nn.Conv1d(4, 4, 3), (1, 3, 10)),
                          (torch.nn.ConvTranspose2d(3, 2, 3, groups=1), (1, 2, 5, 5))):
        with pytest.raises(RuntimeError, match="channels"):
            module(torch.zeros(shape))
        with pytest.raises(RuntimeError, match="channels"):
            analytic.profile(module, shape)


@st.composite
def grouped_products(draw):
    """The four layouts of ``torch._grouped_mm`` on float32 (the CPU's kernel wants strides of
    multiples of 16 bytes: sizes of multiples of 4), with group ends ``offs``."""
    layout = draw(st.sampled_from(["2d-3d", "3d-2d", "3d-3d", "2d-2d"]))
    groups = draw(st.integers(1, 3))
    m, k, n = (4 * draw(st.integers(1, 3)) for _ in range(3))
    ends = torch.tensor(sorted(draw(st.lists(st.integers(1, 3), min_size=groups, max_size=groups))), dtype=torch.int32)
    sizes = torch.cumsum(4 * ends, 0).to(torch.int32)  # ends in multiples of 4 (aligned groups)
    total = int(sizes[-1])
    a, b = {"2d-3d": ((total, k), (groups, k, n)), "3d-2d": ((groups, m, k), (k, total)),
            "3d-3d": ((groups, m, k), (groups, k, n)), "2d-2d": ((m, total), (total, n))}[layout]
    return torch.randn(a), torch.randn(b), None if layout == "3d-3d" else sizes


@given(grouped_products())
@examples(25, deadline=None)
def test_grouped_product_outputs_are_the_cpu_kernel_outputs(case):
    # torch's meta kernel of torch._grouped_mm takes bfloat16 only: the outputs are the CPU's
    a, b, offs = case
    expected = torch._grouped_mm(a, b, offs=offs)
    meta = [t.to("meta") if t is not None else None for t in (a, b, offs)]
    assert _spec(fast_outputs(aten._grouped_mm.default, tuple(meta), {})) == _spec(expected)


def test_a_grouped_product_of_misaligned_strides_is_refused_as_the_cpu_refuses_it():
    import pytest

    a, b, offs = torch.randn(6, 4), torch.randn(3, 4, 5), torch.tensor([2, 4, 6], dtype=torch.int32)
    with pytest.raises(RuntimeError, match="16 bytes"):
        torch._grouped_mm(a, b, offs=offs)
    with pytest.raises(RuntimeError, match="16 bytes"):
        fast_outputs(aten._grouped_mm.default, (a.to("meta"), b.to("meta"), offs.to("meta")), {})
