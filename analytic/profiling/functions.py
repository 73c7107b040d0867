"""torch functions the counting mode runs its own way, so that one model has one count on every
device and every pass:

- functions torch runs as a fused kernel on the CPU and as their parts on ``meta`` (its reference
  path): run as the fused kernel on every device, so the kernel's formula sees what the parts hide
  (a causal mask), and a loop over the steps of a sequence (an LSTM's) is one call whose length may
  be symbolic;
- functions whose meta path stops at a check that needs values (``torch.istft``'s test that the
  windows overlap): run on ``meta`` as torch's own sequence of operators, the check's operators
  included, its verdict left to the real forward;
- functions whose entry point reads sizes as integers (``F.interpolate``, ``torch.stft``,
  ``torch.max_pool1d``): on symbolic sizes, the operators torch's kernel runs, called with the
  sizes it computes (a symbolic pass would otherwise fix the size to its example value).

And a call that mixes tensors on the meta device with floating-point tensors a forward made on the
CPU (a window, a positional table, initial states made without ``device=``, which a real forward
makes on the input's device) receives meta tensors of the CPU ones' shapes
(:func:`meta_arguments`): torch's device checks (``torch.stft``'s, autograd's) refuse the mix, and
on the meta device their values are never read.

Each replacement returns ``None`` where it does not apply; torch's function runs then.
"""

from __future__ import annotations

import torch
from torch.overrides import TorchFunctionMode

__all__ = ["ROUTED_FUNCTIONS", "RoutedFunctions", "fused_attention", "fused_lstm", "interpolate", "istft_on_meta",
           "max_pool1d", "meta_arguments", "on_symbolic_sizes", "stft"]


def fused_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                     enable_gqa=False):
    """``F.scaled_dot_product_attention`` as its fused kernel, or ``None`` where that kernel does
    not apply (grouped heads, not 4-d, values of another width, a boolean mask)."""
    if enable_gqa or query.dim() != 4 or key.dim() != 4 or value.dim() != 4 or key.shape[1] != query.shape[1]:
        return None
    if value.shape[-1] != query.shape[-1] or key.shape[-1] != query.shape[-1]:
        return None
    if attn_mask is not None and attn_mask.dtype == torch.bool:
        return None
    return torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(
        query, key, value, dropout_p, is_causal, attn_mask=attn_mask, scale=scale)[0]


def fused_lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """``nn.LSTM``'s ``torch.lstm`` on the meta device as the CPU runs it: one fused layer kernel
    (``aten::mkldnn_rnn_layer``) per layer and direction, instead of torch's reference path, a loop
    over the steps; ``None`` where the CPU would not fuse it either (projections, packed sequences)
    or off the meta device (the CPU chooses for itself)."""
    if not isinstance(input, torch.Tensor) or input.device.type != "meta" or not isinstance(hx, (tuple, list)):
        return None
    directions = 2 if bidirectional else 1
    per_layer = 4 if has_biases else 2
    if len(params) != num_layers * directions * per_layer:  # projections (proj_size) add a weight
        return None
    unbatched = input.dim() == 2
    x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if batch_first else input)
    h0, c0 = ((h.unsqueeze(1) for h in hx) if unbatched else hx)
    hidden = params[1].shape[1]
    hs, cs = [], []
    for layer in range(num_layers):
        outputs = []
        for direction in range(directions):
            index = layer * directions + direction
            weights = params[index * per_layer:(index + 1) * per_layer]
            w_ih, w_hh = weights[0], weights[1]
            b_ih, b_hh = (weights[2], weights[3]) if has_biases else (w_ih, w_hh)
            out, h, c, _ = torch.ops.aten.mkldnn_rnn_layer(x, w_ih, w_hh, b_ih, b_hh, h0[index], c0[index],
                                                          direction == 1, [], 2, hidden, num_layers, has_biases,
                                                          bidirectional, False, train)
            outputs.append(out)
            hs.append(h)
            cs.append(c)
        x = torch.cat(outputs, -1) if directions == 2 else outputs[0]
        if train and dropout > 0 and layer < num_layers - 1:
            x = torch.nn.functional.dropout(x, dropout, True)
    output = x.squeeze(1) if unbatched else (x.transpose(0, 1) if batch_first else x)
    h_n, c_n = torch.stack(hs), torch.stack(cs)
    return output, (h_n.squeeze(1) if unbatched else h_n), (c_n.squeeze(1) if unbatched else c_n)


def istft_on_meta(input, n_fft, hop_length=None, win_length=None, window=None, center=True, normalized=False,
                  onesided=None, length=None, return_complex=False):
    """``torch.istft`` on the meta device: the operators torch's kernel runs (the inverse
    transform of every frame, the window, the overlap-add of frames and of the squared window, the
    trim, the check that the window envelope stays above 1e-11 and the division by it), without
    reading the check's verdict, which needs values: a real forward raises there, and so does not
    count.  ``None`` off the meta device or for arguments torch refuses (it then says why)."""
    if not isinstance(input, torch.Tensor) or not input.is_meta or not input.is_complex():
        return None
    hop = n_fft // 4 if hop_length is None else hop_length
    width = n_fft if win_length is None else win_length
    frames, bins = input.shape[-1], input.shape[-2]
    sided = bins != n_fft if onesided is None else onesided
    if input.dim() not in (2, 3) or input.numel() == 0 or not 0 < hop <= width or not 0 < width <= n_fft or (
            bins != (n_fft // 2 + 1 if sided else n_fft)) or (return_complex and sided) or (
            window is not None and (not isinstance(window, torch.Tensor) or not window.is_meta or window.dim() != 1
                                    or window.shape[0] != width or (window.is_complex() and not return_complex))):
        return None
    real = torch.view_as_real(input.resolve_conj())
    window = torch.ones(width, dtype=real.dtype, device=real.device) if window is None else window
    if width != n_fft:  # centred by zeros on both sides
        left = (n_fft - width) // 2
        window = torch.constant_pad_nd(window, (left, n_fft - width - left), 0)
    if real.dim() == 3:
        real = real.unsqueeze(0)
    spectra = torch.view_as_complex(real.transpose(1, 2))  # (channels, frames, bins)
    normalization = 1 if normalized else 2  # torch's by 1/sqrt(n) or by 1/n
    if return_complex:
        frames_out = torch.ops.aten._fft_c2c(spectra, [spectra.dim() - 1], normalization, False)
    else:
        if not sided:
            spectra = spectra.narrow(-1, 0, n_fft // 2 + 1)
        frames_out = torch.ops.aten._fft_c2r(spectra, [spectra.dim() - 1], normalization, n_fft)
    expected = n_fft + hop * (frames - 1)
    y = torch.ops.aten.unfold_backward(frames_out * window.view(1, 1, n_fft), [frames_out.shape[0], expected], 1,
                                       n_fft, hop)
    envelope = torch.ops.aten.unfold_backward(window.pow(2).expand(1, frames, n_fft), [1, expected], 1, n_fft, hop)
    start = n_fft // 2 if center else 0
    end = start + length if length is not None else (-(n_fft // 2) if center else expected)
    y = torch.ops.aten.slice(y, 1, start, end)
    envelope = torch.ops.aten.slice(envelope, 1, start, end)
    lowest = envelope.abs().min().lt(1e-11)
    lowest.new_ones(())  # what torch compares the verdict with
    y = y / envelope
    if input.dim() == 2:
        y = y.squeeze(0)
    if end > expected:
        y = torch.constant_pad_nd(y, (0, end - expected), 0)
    return y


_A = torch.ops.aten
#: (mode, spatial dimensions) -> the operator F.interpolate runs, and whether it takes align_corners
_UPSAMPLING = {
    ("nearest", 1): (_A.upsample_nearest1d.default, False), ("nearest", 2): (_A.upsample_nearest2d.default, False),
    ("nearest", 3): (_A.upsample_nearest3d.default, False),
    ("nearest-exact", 1): (_A._upsample_nearest_exact1d.default, False),
    ("nearest-exact", 2): (_A._upsample_nearest_exact2d.default, False),
    ("nearest-exact", 3): (_A._upsample_nearest_exact3d.default, False),
    ("linear", 1): (_A.upsample_linear1d.default, True), ("bilinear", 2): (_A.upsample_bilinear2d.default, True),
    ("trilinear", 3): (_A.upsample_trilinear3d.default, True), ("bicubic", 2): (_A.upsample_bicubic2d.default, True),
    ("bilinear-aa", 2): (_A._upsample_bilinear2d_aa.default, True),
    ("bicubic-aa", 2): (_A._upsample_bicubic2d_aa.default, True),
}
_AREA = {1: torch.nn.functional.adaptive_avg_pool1d, 2: torch.nn.functional.adaptive_avg_pool2d,
         3: torch.nn.functional.adaptive_avg_pool3d}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    """``F.interpolate`` as torch runs it: the output size computed as torch computes it (the
    floor of size times factor, or the size given), then the operator its kernel runs.  torch's own
    entry point reads the sizes as integers, so on symbolic sizes it fixes them.  ``None`` for
    arguments torch refuses (it says why)."""
    if not isinstance(input, torch.Tensor):
        return None
    dim = input.dim() - 2
    key = (f"{mode}-aa" if antialias else mode, dim)
    if (key not in _UPSAMPLING and mode != "area") or (size is None) == (scale_factor is None) or (
            mode in ("nearest", "area", "nearest-exact") and align_corners is not None) or (
            recompute_scale_factor and size is not None) or (antialias and mode == "area"):
        return None
    if size is not None:
        sizes = list(size) if isinstance(size, (list, tuple)) else [size] * dim
        factors = None
    else:
        factors = list(scale_factor) if isinstance(scale_factor, (list, tuple)) else [scale_factor] * dim
        sizes = None
    if len(sizes if factors is None else factors) != dim:
        return None
    if mode == "area" and sizes is None:
        recompute_scale_factor = True
    if recompute_scale_factor:  # the size from the factor, then no factor
        sizes = [torch.sym_int(n * f) for n, f in zip(input.shape[2:], factors, strict=True)]
        factors = None
    if mode == "area":
        return _AREA[dim](input, sizes) if dim in _AREA else None
    if sizes is None:  # torch's kernel: the floor of size times factor
        sizes = [n * int(f) if int(f) == f else torch.sym_int(n * f)
                 for n, f in zip(input.shape[2:], factors, strict=True)]
    op, aligned = _UPSAMPLING[key]
    options = [bool(align_corners)] if aligned else []
    return op(input, sizes, *options, *(factors if factors is not None else [None] * dim))


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """``F.max_pool1d`` as torch runs it off the CPU: the pooling with indices, its values kept
    unless the indices are asked for.  (On the CPU without gradients torch runs a kernel of its
    own, counted the same; its entry point reads the length as an integer.)"""
    if not isinstance(input, torch.Tensor):
        return None
    pooled = torch.max_pool1d_with_indices(input, kernel_size, stride if stride is not None else [], padding,
                                           dilation, ceil_mode)
    return pooled if return_indices else pooled[0]


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
         normalized=False, onesided=None, return_complex=None, align_to_window=None):
    """``torch.stft`` as torch runs it: the centre padding, the window centred by zeros, the
    frames (a strided view), the window's product and the transform of every frame.  torch's
    kernel reads the length as an integer.  ``None`` for arguments torch refuses or warns about
    (it says why)."""
    if not isinstance(input, torch.Tensor) or input.dim() not in (1, 2) or return_complex is None or (
            align_to_window is not None) or not (input.is_floating_point() or input.is_complex()):
        return None
    hop = n_fft // 4 if hop_length is None else hop_length
    width = n_fft if win_length is None else win_length
    if center:
        dims = input.dim()
        pad = n_fft // 2
        input = torch.nn.functional.pad(input.view([1] * (3 - dims) + list(input.shape)), [pad, pad], pad_mode)
        input = input.view(input.shape[-dims:])
    length = input.shape[-1]
    if not (0 < n_fft <= length and hop > 0 and 0 < width <= n_fft) or (
            window is not None and (window.dim() != 1 or window.shape[0] != width)) or (
            not return_complex and (input.is_complex() or (window is not None and window.is_complex()))):
        return None
    signal = input.unsqueeze(0) if input.dim() == 1 else input
    if width < n_fft:  # the window centred by zeros
        left = (n_fft - width) // 2
        centred = torch.zeros(n_fft, dtype=(window if window is not None else input).dtype, device=input.device)
        if window is not None:
            centred.narrow(0, left, width).copy_(window)
        else:
            centred.narrow(0, left, width).fill_(1)
        window = centred
    frames = 1 + (length - n_fft) // hop
    signal = signal.as_strided([signal.shape[0], frames, n_fft],
                               [signal.stride(0), hop * signal.stride(1), signal.stride(1)])
    if window is not None:
        signal = signal.mul(window)
    sided = (not signal.is_complex()) if onesided is None else onesided
    normalization = 1 if normalized else 0  # by 1/sqrt(n), or none
    if signal.is_complex():
        if sided:
            return None
        out = torch.ops.aten._fft_c2c(signal, [signal.dim() - 1], normalization, True)
    else:
        out = torch.ops.aten._fft_r2c(signal, [signal.dim() - 1], normalization, sided)
    out.transpose_(1, 2)
    if input.dim() == 1:
        out.squeeze_(0)
    return out if return_complex else torch.view_as_real(out)


def _symbolic_argument(value) -> bool:
    if isinstance(value, torch.Tensor):
        return any(isinstance(n, torch.SymInt) for n in value.shape)
    if isinstance(value, (list, tuple)):
        return any(map(_symbolic_argument, value))
    return isinstance(value, torch.SymInt)


def on_symbolic_sizes(function):
    """``function`` where a call's tensors or sizes are symbolic (``None`` elsewhere: torch's own
    entry point runs)."""
    def run(*args, **kwargs):
        if any(map(_symbolic_argument, args)) or any(map(_symbolic_argument, kwargs.values())):
            return function(*args, **kwargs)
        return None

    run.__doc__ = function.__doc__
    return run


#: torch function -> its replacement (nn.LSTM calls ``torch._VF.lstm``, the same function as
#: ``torch.lstm``; ``Tensor.istft`` is a function of its own)
ROUTED_FUNCTIONS = {torch.nn.functional.scaled_dot_product_attention: fused_attention, torch.lstm: fused_lstm,
                    torch.istft: istft_on_meta, torch.Tensor.istft: istft_on_meta,
                    torch.nn.functional.interpolate: on_symbolic_sizes(interpolate),
                    torch.max_pool1d: on_symbolic_sizes(max_pool1d),
                    torch.nn.functional.max_pool1d: on_symbolic_sizes(max_pool1d),
                    torch.stft: on_symbolic_sizes(stft), torch.Tensor.stft: on_symbolic_sizes(stft)}


_PLAIN = (torch.Tensor, torch.nn.Parameter)
#: functions whose tensor arguments may be indices whose values decide the output's shape
_INDEXING = frozenset({torch.Tensor.__getitem__, torch.Tensor.__setitem__})


def _devices(values) -> tuple[bool, bool]:
    """Whether ``values`` (arguments, lists of them) hold a plain meta tensor, and a plain tensor
    elsewhere."""
    meta = other = False
    for value in values:
        if type(value) in _PLAIN:
            if value.is_meta:
                meta = True
            else:
                other = True
        elif type(value) is list or type(value) is tuple:
            inner_meta, inner_other = _devices(value)
            meta, other = meta or inner_meta, other or inner_other
    return meta, other


def _on_meta(value):
    if type(value) in _PLAIN and not value.is_meta and value.dim() and (value.is_floating_point()
                                                                         or value.is_complex()):
        meta = torch.empty_strided(value.shape, value.stride(), dtype=value.dtype, device="meta")
        return meta.requires_grad_(value.requires_grad)
    if type(value) is list or type(value) is tuple:
        return type(value)(map(_on_meta, value))
    return value


def meta_arguments(func, args: tuple, kwargs: dict) -> tuple[tuple, dict] | None:
    """A call's arguments with every plain floating-point (or complex) tensor off the meta device
    replaced by a new meta tensor of its shape, strides and dtype, where another argument is on the
    meta device; or ``None`` where nothing is to replace.  Left as they are: scalars (a CPU scalar
    joins any device's call, and its value may be read), integer and boolean tensors (lengths,
    indices, masks: their values may give the result's shape, as ``pack_padded_sequence``'s lengths
    do, and torch's meta kernels read them on the CPU), the arguments of ``x[i]`` and ``x[i] = v``,
    and the tensor an in-place function writes into (its first argument, ``out=``): a write into a
    stand-in would be lost.

    >>> import torch
    >>> window = torch.ones(4)
    >>> (_, moved), _ = meta_arguments(torch.mul, (torch.empty(4, device="meta"), window), {})
    >>> moved.device, window.device
    (device(type='meta'), device(type='cpu'))
    >>> meta_arguments(torch.mul, (torch.ones(4), window), {}) is None
    True
    """
    if func in _INDEXING:
        return None
    meta, other = _devices(args)
    if kwargs:
        kwarg_meta, kwarg_other = _devices(kwargs.values())
        meta, other = meta or kwarg_meta, other or kwarg_other
    if not (meta and other):
        return None
    name = getattr(func, "__name__", "")
    writes_first = (name.endswith("_") and not name.endswith("__")) or name.startswith("__i")
    moved = (args[0], *map(_on_meta, args[1:])) if writes_first and args else tuple(map(_on_meta, args))
    return moved, {key: value if key == "out" else _on_meta(value) for key, value in kwargs.items()}


class RoutedFunctions(TorchFunctionMode):
    """Runs every function of :data:`ROUTED_FUNCTIONS` by its replacement where it applies, on
    :func:`meta_arguments` where a call mixes devices; ``counting`` (the pass's counting mode, if
    given) knows, as its ``function_call``, the torch function running and its arguments (the
    outermost: the mode does not see the calls a torch function makes)."""

    def __init__(self, counting=None):
        super().__init__()
        self.counting = counting

    def __torch_function__(self, func, types, args=(), kwargs=None):
        counting = self.counting
        if counting is None:
            return self._run(func, args, kwargs or {})
        outer = counting.function_call
        counting.function_call = func, args
        try:
            return self._run(func, args, kwargs or {})
        finally:
            counting.function_call = outer

    def _run(self, func, args, kwargs):
        moved = meta_arguments(func, args, kwargs)
        if moved is not None:
            args, kwargs = moved
        replacement = ROUTED_FUNCTIONS.get(func)
        if replacement is not None:
            out = replacement(*args, **kwargs)
            if out is not None:
                return out
        return func(*args, **kwargs)
