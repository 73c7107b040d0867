"""The torch functions the profile runs its own way (analytic.profiling.functions) do what torch's
do: on real CPU tensors the same values from the same operators, for drawn arguments; and a model
calling them gets a formula in its input size equal to the numeric profile at every size tried."""

import warnings

import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st
from torch.utils._python_dispatch import TorchDispatchMode

import analytic
from analytic.profiling import functions
from tests.profiles import examples


class _Operators(TorchDispatchMode):
    """The operators a call runs, with their arguments' shapes."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))

        def shape(a):
            return tuple(a.shape) if isinstance(a, torch.Tensor) else a

        self.seen.append((str(func), [shape(a) for a in args]))
        return out


def _same_as_torch(ours, theirs, *args, **kwargs):
    """Both on the same arguments: equal values (or both refused), the same operators."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's own warnings (no window, a padded length)
        try:
            with _Operators() as expected_ops:
                expected = theirs(*args, **kwargs)
        except (RuntimeError, ValueError):  # torch refuses it: so does the replacement, or leaves it to torch
            try:
                refused = ours(*args, **kwargs)
            except (RuntimeError, ValueError):
                return
            assert refused is None
            return
        with _Operators() as made_ops:
            made = ours(*args, **kwargs)
    if made is None:  # a case the replacement leaves to torch
        return
    expected, made = (expected if isinstance(expected, tuple) else (expected,)), (
        made if isinstance(made, tuple) else (made,))
    for e, m in zip(expected, made, strict=True):
        torch.testing.assert_close(m, e)
    assert made_ops.seen == expected_ops.seen


@given(st.integers(1, 3), st.sampled_from(["nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear",
                                           "area"]),
       st.booleans(), st.one_of(st.none(), st.booleans()), st.data())
@examples(200)
def test_interpolate_is_torch_interpolate(dims, mode, by_factor, align_corners, data):
    shape = (1, 2, *(data.draw(st.integers(1, 7)) for _ in range(dims)))
    x = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    if by_factor:
        factor = data.draw(st.sampled_from([0.5, 1.5, 2, 3, 2.25]))
        options = {"scale_factor": factor, "recompute_scale_factor": data.draw(st.one_of(st.none(), st.booleans()))}
    else:
        options = {"size": tuple(data.draw(st.integers(1, 9)) for _ in range(dims))}
    if mode in ("linear", "bilinear", "bicubic", "trilinear"):
        options["align_corners"] = align_corners
        options["antialias"] = data.draw(st.booleans()) if mode in ("bilinear", "bicubic") else False
    _same_as_torch(functions.interpolate, F.interpolate, x, mode=mode, **options)


@given(st.integers(1, 12), st.integers(1, 4), st.one_of(st.none(), st.integers(1, 4)), st.integers(0, 2),
       st.integers(1, 3), st.booleans(), st.booleans(), st.integers(1, 2))
@examples(200)
def test_max_pool1d_is_torch_max_pool1d(length, kernel, stride, padding, dilation, ceil_mode, indices, batch):
    assume(2 * padding <= kernel)
    x = torch.randn((batch, 2, length), generator=torch.Generator().manual_seed(0))
    _same_as_torch(functions.max_pool1d, F.max_pool1d, x, kernel, stride, padding, dilation, ceil_mode, indices)


@given(st.integers(8, 60), st.sampled_from([8, 9, 16]), st.one_of(st.none(), st.integers(1, 6)),
       st.one_of(st.none(), st.integers(3, 8)), st.booleans(), st.booleans(), st.sampled_from(["reflect", "constant"]),
       st.booleans(), st.one_of(st.none(), st.booleans()), st.booleans(), st.booleans(), st.booleans())
@examples(200)
def test_stft_is_torch_stft(length, n_fft, hop, win, windowed, center, pad_mode, normalized, onesided,
                            complex_output, batched, complex_input):
    dtype = torch.complex64 if complex_input else torch.float32
    x = torch.randn((2, length) if batched else (length,), dtype=dtype, generator=torch.Generator().manual_seed(0))
    window = torch.hann_window(win or n_fft) + 0.1 if windowed else None
    _same_as_torch(functions.stft, torch.stft, x, n_fft, hop, win, window, center, pad_mode, normalized, onesided,
                   complex_output)


class _Frontend(torch.nn.Module):
    """A spectrogram front end (torch.stft), a max-pooled 1-d convolution, and an upsampling back
    to the frames (F.interpolate, linear): the three on symbolic lengths."""

    def __init__(self):
        super().__init__()
        self.register_buffer("window", torch.hann_window(64))
        self.conv = torch.nn.Conv1d(33, 8, 3, padding=1)
        self.pool = torch.nn.MaxPool1d(3, 2)

    def forward(self, wave):
        spec = torch.stft(wave, 64, 16, window=self.window, return_complex=True).abs()
        pooled = self.pool(self.conv(spec))
        return F.interpolate(pooled, size=spec.shape[-1], mode="linear") + F.interpolate(pooled, scale_factor=2.0)[
            ..., :1].sum()


def test_a_front_end_with_stft_pooling_and_upsampling_has_a_formula():
    model = _Frontend()
    formula = analytic.profile(model, (2, "S"))
    for samples in (96, 100, 257, 1000):
        numeric = analytic.profile(model, (2, samples))
        assert formula.evaluate(S=samples).total == numeric.total
        assert [r.op for r in formula.evaluate(S=samples).rows] == [r.op for r in numeric.rows]


def test_replacements_stay_out_of_concrete_sizes():
    # off symbolic sizes torch's own entry point runs (the profile's rows are torch's operators)
    for function in (functions.ROUTED_FUNCTIONS[torch.stft], functions.ROUTED_FUNCTIONS[F.interpolate],
                     functions.ROUTED_FUNCTIONS[F.max_pool1d]):
        assert function(torch.ones(1, 2, 16), 4) is None
