"""Calls answered from earlier ones: a profile whose calls were seen before (in it, or in an earlier
profile of the process) is the profile of a pass that runs every call.

The reference is the same pass on the meta device with every call run (torch's function, its meta
kernels, the formulas), and the real forward on the CPU; the caches are emptied before the cold
profile and kept for the warm ones.
"""

import gc
import sys
import uuid
import weakref
from typing import ClassVar

import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st
from torch import nn

import analytic
from analytic.core.conventions import CONVENTIONS
from analytic.formulas import counts, numel, register_formula
from analytic.profiling import replay
from analytic.profiling.copying import meta_copy
from analytic.profiling.inputs import input_tensors
from analytic.profiling.mode import count_calls
from analytic.profiling.modules import named_modules, parametrized
from tests.profiles import examples


class Residual(nn.Module):
    def __init__(self, body):
        super().__init__()
        self.body = body

    def forward(self, x):
        return x + self.body(x)


class InPlaceScale(nn.Module):
    """Writes into its input and hands it back (a call that must run every time)."""

    def forward(self, x):
        return x.mul_(2.0)


class Aliased(nn.Module):
    """Calls that hand their input back (``Tensor.to`` its own dtype, an in-place product), then a
    write of the shape through that name: the input changes with it."""

    def forward(self, x):
        y = x.to(x.dtype).mul_(1.0)
        y.unsqueeze_(0)
        return x.sum(0)


class PeakMix(nn.Module):
    """A function returning a named tuple (``torch.return_types.max``)."""

    def forward(self, x):
        peak = torch.max(x, 1, keepdim=True)
        return x - peak.values + peak.indices.to(x.dtype)


class HalfSwap(nn.Module):
    """Views (chunks) and a concatenation."""

    def forward(self, x):
        a, b = x.chunk(2, 1)
        return torch.cat([b, a], 1)


class Alternating(nn.Module):
    """Python state the forward changes: each call is different from the one before."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return torch.tanh(x) if self.calls % 2 else torch.sigmoid(x) * x


class SelfGradient(nn.Module):
    """A forward that asks for a gradient itself (as a physics-informed loss does)."""

    def forward(self, x):
        with torch.enable_grad():
            x = x.detach().requires_grad_()
            (x * x).sum().backward()
        return x.grad


@st.composite
def models_and_shapes(draw):
    """A stack of 1-d layers of random kinds and widths (the same module used twice, sometimes)
    and its input's shape."""
    channels = first = 2 * draw(st.integers(1, 3))  # the width until a convolution changes it
    length = draw(st.integers(4, 12))
    layers = []
    for _ in range(draw(st.integers(1, 7))):
        kind = draw(st.sampled_from(["conv", "norm", "activation", "residual", "in place", "peak", "swap",
                                     "dropout", "softmax", "layer norm", "alternating", "aliased", "again"]))
        if kind == "conv":
            wider = 2 * draw(st.integers(1, 3))
            kernel = draw(st.sampled_from([1, 3, 5]))
            layers.append(nn.Conv1d(channels, wider, kernel, padding=kernel // 2, bias=draw(st.booleans())))
            channels = wider
        elif kind == "norm":
            layers.append(nn.BatchNorm1d(channels).train(draw(st.booleans())))
        elif kind == "activation":
            layers.append(draw(st.sampled_from([nn.ReLU(), nn.ReLU(inplace=True), nn.GELU(), nn.GELU("tanh"),
                                                nn.SiLU(), nn.Hardswish(), nn.ReLU6(inplace=True), nn.Tanh()])))
        elif kind == "residual":
            layers.append(Residual(nn.Conv1d(channels, channels, 3, padding=1)))
        elif kind == "in place":
            layers.append(InPlaceScale())
        elif kind == "peak":
            layers.append(PeakMix())
        elif kind == "swap":
            layers.append(HalfSwap())
        elif kind == "dropout":
            layers.append(nn.Dropout(0.5).train(draw(st.booleans())))
        elif kind == "softmax":
            layers.append(nn.Softmax(dim=-1))
        elif kind == "layer norm":
            layers.append(nn.LayerNorm(length))
        elif kind == "alternating":
            layers.append(Alternating())
        elif kind == "aliased":
            layers.append(Aliased())
        elif layers and not isinstance(layers[-1], (nn.Conv1d, nn.BatchNorm1d)):  # "again": a module used twice
            layers.append(layers[-1])
    return nn.Sequential(*layers), (draw(st.integers(1, 2)), first, length)


def _every_call_run(model, shape, dtype=torch.float32):
    """The pass on the meta device with every call run: no call answered from another."""
    mode = count_calls(meta_copy(model), input_tensors([shape], [dtype], "meta"), CONVENTIONS)
    return list(mode.rows), dict(mode.data_movement), dict(mode.uncounted), dict(mode.movement_bytes)


def _seen(profile):
    return list(profile.rows), dict(profile.data_movement), dict(profile.uncounted), dict(profile.movement_bytes)


@pytest.fixture
def cold():
    """Empty caches before the test, and after it."""
    replay.clear()
    yield
    replay.clear()


def _runs(model, shape, dtype=torch.float32) -> bool:
    """Whether a real forward runs (a drawn stack may not fit its input: then there is nothing to count)."""
    try:
        with torch.no_grad():
            model(torch.randn(shape, dtype=dtype))
    except (RuntimeError, ValueError, IndexError):
        return False
    return True


@given(models_and_shapes(), st.sampled_from([torch.float32, torch.float64]))
@example((nn.Sequential(nn.Conv1d(2, 4, 3, padding=1), nn.BatchNorm1d(4).eval(), nn.ReLU6(inplace=True),
                        Residual(nn.Conv1d(4, 4, 3, padding=1)), PeakMix(), HalfSwap()), (2, 2, 8)), torch.float32)
@example((nn.Sequential(Alternating(), InPlaceScale(), nn.GELU("tanh")), (1, 2, 6)), torch.float64)
@example((nn.Sequential(Aliased(), nn.Conv1d(2, 2, 3)), (2, 2, 6)), torch.float32)
@examples(60, deadline=None)
def test_a_profile_whose_calls_were_seen_before_is_the_profile_of_every_call_run(drawn, dtype):
    model, shape = drawn
    model = model.to(dtype)
    if not _runs(model, shape, dtype):
        return
    reference = _every_call_run(model, shape, dtype)
    after_others = analytic.profile(model, shape, dtypes=[dtype])  # the caches as earlier examples left them
    replay.clear()
    cold_profile = analytic.profile(model, shape, dtypes=[dtype])
    warm = analytic.profile(model, shape, dtypes=[dtype])
    assert _seen(after_others) == _seen(cold_profile) == _seen(warm) == reference
    on_cpu = analytic.profile(model, shape, dtypes=[dtype], device="cpu")  # torch's real kernels, nothing reused
    assert warm.total == on_cpu.total


def test_a_call_of_another_dtype_is_not_answered_by_one_of_the_first(cold):
    model = nn.Sequential(nn.Conv1d(2, 4, 3), nn.BatchNorm1d(4).eval(), nn.GELU())
    single = analytic.profile(model, (1, 2, 8))
    double = analytic.profile(model.double(), (1, 2, 8), dtypes=[torch.float64])
    assert _seen(double) == _every_call_run(model, (1, 2, 8), torch.float64)
    assert [2 * row.output_bytes for row in single.rows] == [row.output_bytes for row in double.rows]


def test_a_warm_profile_is_answered_from_what_earlier_calls_gave(cold):
    """The calls of a second profile of a model are answered from the first's (torch's functions
    are not run again), and the answers are what running them gives."""
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8).eval(), nn.ReLU6(), nn.AdaptiveAvgPool2d(1))
    analytic.profile(model, (1, 3, 16, 16))
    functions = next(iter(replay._CACHES.values())).functions
    answered = {getattr(key[0], "__name__", "") for key, value in functions.items() if value is not None}
    assert {"conv2d", "batch_norm", "hardtanh", "adaptive_avg_pool2d"} <= answered
    ran = []

    class Watch(torch.overrides.TorchFunctionMode):  # below the profile's own mode: sees what it runs
        def __torch_function__(self, func, types, args=(), kwargs=None):
            ran.append(func)
            return func(*args, **(kwargs or {}))

    with Watch():
        warm = analytic.profile(model, (1, 3, 16, 16))
    assert torch.conv2d not in ran and torch.nn.functional.batch_norm not in ran
    assert warm.total == analytic.profile(model, (1, 3, 16, 16), device="cpu").total


class Positions(nn.Module):
    """Positions from an offset the caller sets, looked up in a table of 8."""

    def __init__(self):
        super().__init__()
        self.table = nn.Embedding(8, 4)
        self.offset = 0

    def forward(self, x):
        return x + self.table(torch.arange(x.shape[1], device=x.device) + self.offset)


def test_a_lookup_past_its_table_is_refused_on_every_profile(cold):
    model = Positions()
    for _ in range(3):
        model.offset = 0
        assert analytic.profile(model, (1, 8, 4)).total["exact"] == 8 + 32  # two additions; a lookup counts nothing
        with pytest.raises(RuntimeError, match="index out of range"):
            analytic.profile(model, (1, 9, 4))
        model.offset = 1  # the same shapes, positions 1 to 8: the lookup must be checked again
        with pytest.raises(RuntimeError, match="index out of range"):
            analytic.profile(model, (1, 8, 4))


_RUNNING: list = []


def run_registered(x):
    """A function torch's function modes see (as they see torch's own, ``handle_torch_function``)
    that runs the module a caller registered."""
    if torch.overrides.has_torch_function((x,)):
        return torch.overrides.handle_torch_function(run_registered, (x,), x)
    return _RUNNING[-1](x)


class Through(nn.Module):
    """Runs its submodule through :func:`run_registered`, twice, then through a method of its own;
    keeps a weak reference to itself (the copy a profile runs)."""

    seen: ClassVar[list] = []

    def __init__(self):
        super().__init__()
        self.inner = nn.Conv1d(2, 2, 3, padding=1)

    def through(self, x):  # the same, as a method bound to the module
        if torch.overrides.has_torch_function((x,)):
            return torch.overrides.handle_torch_function(self.through, (x,), x)
        return self.inner(x)

    def forward(self, x):
        Through.seen.append(weakref.ref(self))
        _RUNNING.append(self.inner)
        try:
            return self.through(run_registered(run_registered(x)))
        finally:
            _RUNNING.pop()


def test_a_function_that_runs_a_module_charges_it_every_time(cold):
    for _ in range(2):
        profile = analytic.profile(Through(), (1, 2, 6))
        assert [(row.name, row.op) for row in profile.rows] == [("inner", "aten::convolution")] * 3


def lift(x):
    """A function torch's function modes see that gives its input a leading dimension in place and
    returns a new tensor."""
    if torch.overrides.has_torch_function((x,)):
        return torch.overrides.handle_torch_function(lift, (x,), x)
    x.unsqueeze_(0)
    return x * 2


class Lifted(nn.Module):
    def forward(self, x):
        y = lift(x)
        return x.sum(0) + y.sum(0)  # x has the leading dimension now: sums of one element


def test_a_function_that_changes_its_inputs_shape_runs_every_time(cold):
    profiles = [analytic.profile(Lifted(), (2, 3)) for _ in range(3)]
    assert list(profiles[0].rows) == list(profiles[1].rows) == list(profiles[2].rows) == _every_call_run(
        Lifted(), (2, 3))[0]
    sums = [row for row in profiles[2].rows if row.op == "aten::sum"]
    assert [row.input_shape for row in sums] == [(1, 2, 3)] * 2 and all(row.counts["exact"] == 0 for row in sums)


def noted(x, notes):
    """A function torch's function modes see that notes each of its calls in the list it is given."""
    if torch.overrides.has_torch_function((x,)):
        return torch.overrides.handle_torch_function(noted, (x,), x, notes)
    notes.append(len(notes))
    return x * 2


class Noting(nn.Module):
    def forward(self, x):
        notes = []
        for _ in range(3):
            x = noted(x, notes)
        return x[..., : len(notes)] * 3  # a product over as many positions as calls noted


def test_a_function_that_changes_its_arguments_runs_every_time(cold):
    profiles = [analytic.profile(Noting(), (2, 5)) for _ in range(3)]
    assert list(profiles[2].rows) == _every_call_run(Noting(), (2, 5))[0]
    assert profiles[2].total["exact"] == 3 * 10 + 2 * 3


SCRATCH: list = []


def grow(x):
    """A function torch's function modes see that gives a tensor of its module (not an argument) a
    leading dimension in place."""
    if torch.overrides.has_torch_function((x,)):
        return torch.overrides.handle_torch_function(grow, (x,), x)
    SCRATCH[0].unsqueeze_(0)
    return x * 2


class Growing(nn.Module):
    def forward(self, x):
        return grow(x)


def test_a_function_that_changes_a_tensors_shape_runs_every_time(cold):
    for _ in range(3):
        SCRATCH[:] = [torch.empty(2, 3, device="meta")]
        analytic.profile(Growing(), (2, 3))
        assert SCRATCH[0].shape == (1, 2, 3)


def test_a_profile_keeps_nothing_of_its_copy_alive(cold):
    """A method bound to a module of the copy is never kept by the caches: the copy is freed."""
    Through.seen.clear()
    analytic.profile(Through(), (1, 2, 6))
    gc.collect()
    assert Through.seen and all(ref() is None for ref in Through.seen)


def test_a_formula_registered_after_a_profile_counts_in_the_next(cold):
    name = f"tapcount_replay_{uuid.uuid4().hex[:12]}"
    torch.library.define(f"{name}::triple", "(Tensor x) -> Tensor")
    torch.library.impl(f"{name}::triple", "CompositeExplicitAutograd", lambda x: x * 3)
    torch.library.register_fake(f"{name}::triple", lambda x: torch.empty_like(x))
    triple = getattr(torch.ops, name).triple

    class Triple(nn.Module):
        def forward(self, x):
            return triple(torch.relu(x))

    before = analytic.profile(Triple(), (2, 5))
    assert before.uncounted == {f"{name}::triple": 1}
    register_formula(f"{name}::triple")(lambda x, out_shape=None: counts(exact=numel(x)))
    after = analytic.profile(Triple(), (2, 5))
    assert not after.uncounted and after.total["exact"] == before.total["exact"] + 10


def test_the_default_dtype_is_part_of_what_a_call_gives(cold):
    class Half(nn.Module):
        def forward(self, ids):
            return ids * 0.5  # an integer tensor times a number: the default floating-point dtype

    model = Half()
    single = analytic.profile(model, (3, 4), dtypes=[torch.long])
    default = torch.get_default_dtype()
    try:
        torch.set_default_dtype(torch.float64)
        double = analytic.profile(model, (3, 4), dtypes=[torch.long])
        on_cpu = analytic.profile(model, (3, 4), dtypes=[torch.long], device="cpu")
    finally:
        torch.set_default_dtype(default)
    assert single.rows[0].output_bytes == 12 * 4
    assert double.rows[0].output_bytes == on_cpu.rows[0].output_bytes == 12 * 8


def test_a_forward_that_asks_for_gradients_gets_them(cold):
    model = nn.Sequential(nn.Conv1d(2, 2, 3), SelfGradient(), nn.Tanh())
    profiles = [analytic.profile(model, (1, 2, 9)) for _ in range(3)]
    assert profiles[0].rows == profiles[1].rows == profiles[2].rows
    assert profiles[0].total == analytic.profile(model, (1, 2, 9), device="cpu").total
    assert any(row.op == "aten::mul" for row in profiles[0].rows)  # the gradient of x * x, computed


def test_the_caches_are_bounded(cold):
    cache = replay.CallCache(limit=3)
    for i in range(10):
        cache.functions[i] = i
    assert list(cache.functions) == [7, 8, 9]
    for i in range(3 * replay.CACHES):
        replay.call_cache(("a registry state", i), None)
    assert len(replay._CACHES) == replay.CACHES


@pytest.mark.parametrize("make", [
    lambda: nn.Sequential(nn.Conv1d(2, 2, 3), nn.Sequential(nn.ReLU())),
    lambda: nn.utils.parametrizations.weight_norm(nn.Conv1d(2, 2, 3)),
    lambda: torch.jit.script(nn.Sequential(nn.Conv1d(2, 2, 3))),
])
def test_the_modules_read_are_torchs(make):
    model = make()
    assert named_modules(model) == list(model.named_modules())
    assert [parametrized(m) for _, m in named_modules(model)] == [
        nn.utils.parametrize.is_parametrized(m) for _, m in model.named_modules()]


def _inner(x):
    return torch.tanh(x)


def outer(x):
    """A function torch's function modes see, calling a module-level helper."""
    if torch.overrides.has_torch_function((x,)):
        return torch.overrides.handle_torch_function(outer, (x,), x)
    return _inner(x)


class Outer(nn.Module):
    def forward(self, x):
        return outer(x)


def test_a_function_patched_between_profiles_is_seen_anew_after_clear(cold, monkeypatch):
    assert [row.op for row in analytic.profile(Outer(), (2, 3)).rows] == ["aten::tanh"]
    monkeypatch.setattr(sys.modules[__name__], "_inner", torch.sigmoid)
    assert [row.op for row in analytic.profile(Outer(), (2, 3)).rows] == ["aten::tanh"]  # the record, as documented
    replay.clear()
    assert [row.op for row in analytic.profile(Outer(), (2, 3)).rows] == ["aten::sigmoid"]
