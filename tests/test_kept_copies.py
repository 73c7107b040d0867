"""A model profiled again runs the meta copy kept from its last profile when a fresh copy would be
the same (analytic.profiling.kept): every change to the model between two profiles, and every
change a forward makes to its own copy, gives what a fresh copy gives; a kept copy never keeps its
model alive, and at most a few are kept."""

import copy
import gc
import weakref
from concurrent.futures import ThreadPoolExecutor
from enum import Enum
from types import SimpleNamespace

import pytest
import torch
from torch import nn

import analytic
from analytic.profiling import kept, numeric
from tests import models
from tests.helpers import torch_flops

SHAPE = (2, 3, 32, 32)


@pytest.fixture
def copies(monkeypatch):
    """The number of meta copies made (a list of one count)."""
    made = [0]

    def counted(*args, **kwargs):
        made[0] += 1
        return meta_copy(*args, **kwargs)

    meta_copy = numeric.meta_copy
    monkeypatch.setattr(numeric, "meta_copy", counted)
    return made


def _summary(p):
    return p.rows, p.modules, p.uncounted, p.data_movement, p.movement_bytes


def test_a_model_profiled_again_runs_its_kept_copy(copies):
    model = models.resnet()
    first = analytic.profile(model, SHAPE)
    assert copies[0] == 1
    for _ in range(3):
        again = analytic.profile(model, SHAPE)
        assert _summary(again) == _summary(first)
    assert copies[0] == 1
    assert first.total["flops"] == torch_flops(model, SHAPE)
    assert analytic.profile(model, (2, 3, 40, 40)).total["flops"] == torch_flops(model, (2, 3, 40, 40))
    assert copies[0] == 1  # another input size: the same copy


def _hook(module, args, output):
    return output[..., ::2, ::2]


#: changes between two profiles; each changes what the profile gives
CHANGES = {
    "a submodule replaced": lambda m: setattr(m, "fc", nn.Linear(128, 20)),
    "a parameter of another shape": lambda m: setattr(m.conv1, "weight", nn.Parameter(torch.randn(16, 3, 3, 3))),
    "a parameter's data of another shape, in place": lambda m: setattr(m.conv1.weight, "data",
                                                                       torch.randn(16, 3, 3, 3)),
    "a stride": lambda m: setattr(m.conv1, "stride", (1, 1)),
    "frozen parameters": lambda m: m.fc.requires_grad_(False),
    "a forward hook": lambda m: m.conv1.register_forward_hook(_hook),
    "a parameter registered": lambda m: m.fc.register_parameter("extra", nn.Parameter(torch.zeros(5))),
    "a block removed": lambda m: m.layers[3].__delitem__(1),
    "training mode": lambda m: m.train(),
    "a shared module": lambda m: m.layers[3].append(m.layers[3][1]),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_to_the_model_between_profiles_is_seen(change):
    model = models.resnet()
    before = analytic.profile(model, SHAPE)
    assert id(model) in kept._KEPT
    CHANGES[change](model)
    after = analytic.profile(model, SHAPE)
    fresh = analytic.profile(copy.deepcopy(model), SHAPE)  # never profiled: copied anew
    assert _summary(after) == _summary(fresh)
    assert _summary(after) != _summary(before)
    assert after.total["flops"] == torch_flops(model.eval() if change == "training mode" else model, SHAPE)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert after.parameters["trainable"] == trainable
    assert after.parameters["total"] == sum(p.numel() for p in model.parameters())


class CastsInput(nn.Module):
    """Casts its input to its weights' dtype."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(8, 8)

    def forward(self, x):
        return self.linear(x.to(self.linear.weight.dtype))


def test_a_dtype_change_between_profiles_is_seen():
    model = CastsInput()
    inputs = {"example_inputs": torch.ones(4, 8)}
    before = analytic.profile(model, **inputs)
    model.double()  # the parameters' data replaced in place: the same parameters, another dtype
    after = analytic.profile(model, **inputs)
    assert "aten::_to_copy" not in before.data_movement and after.data_movement["aten::_to_copy"] == 1  # the cast
    assert [r.output_bytes for r in after.rows] == [2 * r.output_bytes for r in before.rows]  # 4 x 8 doubles


class CallCounter(nn.Module):
    """Counts its calls, and takes a longer path after the first."""

    def __init__(self):
        super().__init__()
        self.calls = 0
        self.a, self.b = nn.Linear(8, 8), nn.Linear(8, 8)

    def forward(self, x):
        self.calls += 1
        return self.b(self.a(x)) if self.calls > 1 else self.a(x)


class InputCache(nn.Module):
    """Keeps its first input, and joins it to every later one."""

    def __init__(self):
        super().__init__()
        self.cache = None
        self.linear = nn.Linear(8, 8)

    def forward(self, x):
        if self.cache is None:
            self.cache = x
            return self.linear(x)
        return self.linear(torch.cat([self.cache, x]))


class GrowingBuffer(nn.Module):
    """Grows a buffer in place at each call, and multiplies by as many columns."""

    def __init__(self):
        super().__init__()
        self.register_buffer("steps", torch.zeros(1))
        self.weight = nn.Parameter(torch.ones(8, 16))

    def forward(self, x):
        self.steps.resize_(self.steps.numel() + 1)
        return x @ self.weight[:, :self.steps.numel()]


@pytest.mark.parametrize("make", [CallCounter, InputCache, GrowingBuffer])
def test_a_forward_that_changes_its_module_is_profiled_on_a_fresh_copy(make):
    model, x = make(), torch.ones(4, 8)
    first_forward = torch_flops(copy.deepcopy(model), x)  # what the copy's first forward counts
    for _ in range(3):
        assert analytic.profile(model, (4, 8)).total["flops"] == first_forward
    assert id(model) not in kept._KEPT


class Sizes(nn.Module):
    """Reads its widths from a list, and its activation from a class it holds."""

    def __init__(self):
        super().__init__()
        self.widths = [8]
        self.activation = nn.ReLU
        self.linear = nn.Linear(8, 8)

    def forward(self, x):
        y = self.activation()(self.linear(x)).repeat(1, len(self.widths))
        return y @ torch.ones(sum(self.widths), 2, device=x.device)


class Configured(Sizes):
    """Reads its widths from a configuration object: a record cannot see it change."""

    def __init__(self):
        super().__init__()
        self.config = SimpleNamespace(widths=[8])

    def forward(self, x):
        self.widths = self.config.widths
        return super().forward(x)


class Format(Enum):
    WIDE = "wide"


class Dictionary(Sizes):
    """Reads its widths from a nested configuration dictionary (as timm's models hold theirs)."""

    def __init__(self):
        super().__init__()
        self.config = {"stages": {"widths": [8]}, "format": Format.WIDE, "mean": (0.5, 0.5)}

    def forward(self, x):
        widths = self.config["stages"]["widths"]
        y = self.activation()(self.linear(x)).repeat(1, len(widths))
        return y @ torch.ones(sum(widths), 2, device=x.device)


def _widths(model):
    return model.config["stages"]["widths"] if isinstance(model, Dictionary) else (
        model.config.widths if isinstance(model, Configured) else model.widths)


@pytest.mark.parametrize("make", [Sizes, Dictionary, Configured])
def test_a_change_to_a_list_or_an_object_a_module_holds_is_seen(make, copies):
    model = make()
    before = analytic.profile(model, (4, 8)).total["flops"]
    assert analytic.profile(model, (4, 8)).total["flops"] == before
    _widths(model).append(8)
    after = analytic.profile(model, (4, 8)).total["flops"]
    assert (before, after) == (torch_flops(make(), (4, 8)), torch_flops(model, (4, 8)))
    assert after != before
    assert copies[0] == (3 if make is Configured else 2)  # a configuration object of a class of its own: copied
    # for every profile (and its forward rebinds an attribute)


def test_a_kept_copy_never_keeps_its_model_alive():
    model = models.resnet()
    analytic.profile(model, SHAPE)
    key, owner = id(model), weakref.ref(model)
    assert key in kept._KEPT
    del model
    assert owner() is None and key not in kept._KEPT  # freed by reference counting: no cycle through the copy


class Owned(nn.Module):
    """A layer that registers the model holding it as a submodule (and never calls it)."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 4)

    def forward(self, x):
        return self.linear(x)


def test_a_model_whose_module_holds_the_model_is_not_kept():
    model = nn.Sequential(Owned())
    model[0]._modules["owner"] = model  # a cycle through registered submodules
    assert analytic.profile(model, (2, 4)).total["flops"] == 2 * 2 * 4 * 4
    owner = weakref.ref(model)
    del model
    gc.collect()
    assert owner() is None


def test_at_most_a_few_copies_are_kept():
    kept_models = [models.mobilenet() for _ in range(kept.KEPT + 2)]
    for model in kept_models:
        analytic.profile(model, SHAPE)
    assert len(kept._KEPT) <= kept.KEPT
    assert id(kept_models[-1]) in kept._KEPT and id(kept_models[0]) not in kept._KEPT
    kept.clear()
    assert not kept._KEPT


def test_a_training_step_between_forward_profiles(copies):
    model = models.resnet().train()
    forward = analytic.profile(model, (2, 3, 32, 32))
    step = analytic.profile(model, (2, 3, 32, 32), backward=True)
    assert _summary(step) == _summary(analytic.profile(copy.deepcopy(model), (2, 3, 32, 32), backward=True))
    assert _summary(analytic.profile(model, (2, 3, 32, 32))) == _summary(forward)


def test_profiles_of_one_model_in_threads_each_run_a_copy_of_their_own():
    model = models.resnet()
    expected = torch_flops(model, SHAPE)
    with ThreadPoolExecutor(2) as pool:
        totals = list(pool.map(lambda _: analytic.profile(model, SHAPE).total["flops"], range(8)))
    assert totals == [expected] * 8


#: models of the tests, each profiled three times (its layers answered from their records after the first)
AGAIN = {
    "ResNet": (models.resnet, (1, 3, 32, 32), None),
    "MobileNet (squeeze-and-excitation)": (models.mobilenet, (1, 3, 32, 32), None),
    "ConvNeXt": (models.convnext, (1, 3, 32, 32), None),
    "HiFi-GAN V1": (models.hifigan_generator, (1, 80, 6), None),
    "MelGAN": (models.melgan_generator, (1, 80, 6), None),
    "DCGAN generator": (models.dcgan_generator, (2, 100, 1, 1), None),
    "U-Net": (models.unet, (1, 1, 32, 32), None),
    "U-Net upsampling bilinearly": (models.interpolating_unet, (1, 1, 16, 16), None),
    "transformer, fused attention": (models.language_model, (2, 16), torch.long),
    "transformer, eager attention": (models.language_model_eager, (2, 16), torch.long),
    "mixture of experts": (models.mixture_of_experts, (2, 8, 16), None),
    "snake encoder": (models.snake_encoder, (1, 1, 64), None),
}


@pytest.mark.parametrize("name", AGAIN)
def test_a_model_profiled_again_counts_what_a_fresh_copy_counts(name):
    make, shape, dtype = AGAIN[name]
    model, dtypes = make(), [dtype] if dtype is not None else None
    x = torch.zeros(shape, dtype=dtype) if dtype is not None else torch.randn(shape)
    fresh = analytic.profile(copy.deepcopy(model), shape, dtypes=dtypes)
    for _ in range(3):
        again = analytic.profile(model, shape, dtypes=dtypes)
        assert _summary(again) == _summary(fresh)
    if "fused" not in name:  # (torch's counter does not see the CPU's fused attention)
        assert again.total["flops"] == torch_flops(model, x)
    leaves = next(iter(kept._KEPT[id(model)][1].leaves.values()))
    assert any(records for _, records in leaves.values())  # some layers' calls were answered from records


class StrideByBatch(nn.Module):
    """Sets its convolution's stride to the batch size, for a batch of more than one, before
    calling it on the batch's sum: the convolution's input is the same at every batch size."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 4, 3)

    def forward(self, x):
        if x.shape[0] > 1:
            self.conv.stride = (x.shape[0],)
        return self.conv(x.sum(0, keepdim=True))


class WeightByBatch(nn.Module):
    """Gives its linear layer as many outputs as a batch of more than one has samples (in place, by
    ``.data`` or ``resize_``) before calling it on the batch's sum."""

    def __init__(self, resize: bool):
        super().__init__()
        self.resize = resize
        self.linear = nn.Linear(8, 8, bias=False).requires_grad_(False)

    def forward(self, x):
        if x.shape[0] > 1 and self.resize:
            self.linear.weight.resize_(x.shape[0], 8)
        elif x.shape[0] > 1:
            self.linear.weight.data = torch.zeros(x.shape[0], 8, device=x.device)
        return self.linear(x.sum(0, keepdim=True))


@pytest.mark.parametrize("make", [StrideByBatch, lambda: WeightByBatch(False), lambda: WeightByBatch(True)],
                         ids=["a stride", "weights by .data", "weights resized"])
def test_a_layer_changed_during_a_pass_is_run_not_answered_from_its_record(make):
    model = make()
    for batch in [1, 1, 2, 1, 3, 3]:
        shape = (batch, 2, 16) if isinstance(model, StrideByBatch) else (batch, 8)
        expected = torch_flops(copy.deepcopy(model), shape)  # a fresh copy's first forward
        assert analytic.profile(model, shape).total["flops"] == expected


class GradientsWithin(nn.Module):
    """Turns gradients on for its first layer, and runs its second only on an output that
    requires a gradient."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(8, 8), nn.Linear(8, 8)

    def forward(self, x):
        with torch.enable_grad():
            y = self.a(x)
        return self.b(y) if y.requires_grad else y


def test_a_layer_run_with_gradients_on_is_run_not_answered_from_a_record():
    model = GradientsWithin()
    expected = torch_flops(copy.deepcopy(model), (4, 8))
    assert expected == 2 * 2 * 4 * 8 * 8
    for _ in range(3):
        assert analytic.profile(model, (4, 8)).total["flops"] == expected



class Vocabulary(nn.Module):
    """Holds a list that holds itself, or a vocabulary of many words: data a record does not
    compare (the model is copied afresh every time)."""

    def __init__(self, cyclic: bool):
        super().__init__()
        self.linear = nn.Linear(4, 4)
        if cyclic:
            self.items = []
            self.items.append(self.items)
        else:
            self.words = [str(i) for i in range(kept.DATA_ELEMENTS + 1)]

    def forward(self, x):
        return self.linear(x)


@pytest.mark.parametrize("cyclic", [True, False], ids=["a list holding itself", "many words"])
def test_data_a_record_does_not_compare_is_copied_afresh(cyclic):
    model = Vocabulary(cyclic)
    for _ in range(2):
        assert analytic.profile(model, (2, 4)).total["flops"] == torch_flops(model, (2, 4))
    assert id(model) not in kept._KEPT
