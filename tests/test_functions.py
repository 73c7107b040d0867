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


class _MadeOnTheCpu(torch.nn.Module):
    """A forward that makes tensors without ``device=`` (on the CPU, as sloppy code does: a real
    forward on the CPU runs it): a window for ``torch.stft``, positions, a recurrent cell's states,
    a boolean mask it indexes with."""

    def __init__(self):
        super().__init__()
        self.cell = torch.nn.LSTMCell(33, 8)
        self.positions = torch.nn.Embedding(40, 33)

    def forward(self, x):
        spectrum = torch.stft(x, 64, 16, window=torch.hann_window(64), return_complex=True).abs()  # (B, 33, T)
        frames = spectrum.transpose(1, 2) + self.positions(torch.arange(spectrum.shape[-1]))
        keep = torch.arange(frames.shape[1]) % 2 == 0  # a mask on the CPU: its values give a shape
        frames = frames[:, keep]
        h = c = torch.zeros(x.shape[0], 8)
        for t in range(frames.shape[1]):
            h, c = self.cell(frames[:, t], (h, c))
        return h


def test_tensors_a_forward_makes_on_the_cpu_join_the_meta_pass():
    model = _MadeOnTheCpu()
    for backward in (False, True):
        on_meta = analytic.profile(model, (2, 400), backward=backward)
        on_cpu = analytic.profile(model, (2, 400), backward=backward, device="cpu")
        assert on_meta.device == "meta" and not on_meta.uncounted
        assert on_meta.total == on_cpu.total
    assert not next(iter(model.parameters())).is_meta


def test_meta_arguments_leave_writes_masks_and_indices_alone():
    meta, cpu = torch.empty(3, device="meta"), torch.ones(3)
    assert functions.meta_arguments(torch.add, (cpu, cpu), {}) is None
    (first, second), _ = functions.meta_arguments(torch.add, (meta, cpu), {})
    assert first is meta and second.is_meta and second.shape == cpu.shape
    (written, read), _ = functions.meta_arguments(torch.Tensor.add_, (cpu, meta), {})
    assert written is cpu and read is meta  # a write into a stand-in would be lost
    _, kwargs = functions.meta_arguments(torch.add, (meta, cpu), {"out": cpu})
    assert kwargs["out"] is cpu
    mask, lengths = torch.tensor([True, False, True]), torch.tensor([3, 1])
    (_, kept), _ = functions.meta_arguments(torch.where, (meta, mask), {})
    assert kept is mask
    (_, kept, _), _ = functions.meta_arguments(torch._VF._pack_padded_sequence, (meta, lengths, True), {})
    assert kept is lengths  # values a kernel reads on the CPU (here the output's shape)
    scalar = torch.tensor(2.0)
    (_, kept), _ = functions.meta_arguments(torch.mul, (meta, scalar), {})
    assert kept is scalar  # a CPU scalar joins any device's call
    assert functions.meta_arguments(torch.Tensor.__getitem__, (meta, torch.tensor([0, 2])), {}) is None


class _Packed(torch.nn.Module):
    """An LSTM over sequences of different lengths, packed (``nn.utils.rnn``), lengths on the CPU."""

    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(8, 16, batch_first=True, bidirectional=True)

    def forward(self, x):
        lengths = torch.tensor([x.shape[1], x.shape[1] - 2])
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        return torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True)[0]


def test_packed_sequences_are_counted_whole():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # packing needs the lengths' values: a CPU forward
        prof = analytic.profile(_Packed(), (2, 5, 8))
    assert not prof.uncounted and prof.total["exact"] > 0
    assert prof.total == analytic.profile(_Packed(), (2, 5, 8), device="cpu").total
