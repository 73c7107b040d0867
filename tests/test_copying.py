"""The profile's copy of a model on the meta device (analytic.profiling.copying) is what
``copy.deepcopy`` gives, with meta tensors: the same modules, attributes, hooks and sharing, and no
link back to the user's model."""

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import analytic
from analytic.profiling.copying import meta_copy
from analytic.profiling.modules import copied_modules, named_modules
from tests import models
from tests.helpers import torch_flops


class Custom(nn.Module):
    """Attributes of every kind a module holds: numbers, a tuple, a list, a dict, a tensor that is
    not a parameter, a parameter shared with a submodule, a bound method, an enum."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 3, 3)
        self.tied = self.conv.weight
        self.scale = 0.5
        self.shape = (1, (2, 3))
        self.history = [1, 2]
        self.table = {"a": [3]}
        self.plain = torch.ones(4)
        self.act = self.forward
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))

    def forward(self, x):
        return self.conv(x) * self.scale


class Slotted(nn.Module):
    """A module whose class copies itself: copied by ``copy.deepcopy``."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 2)
        self.copies = 0

    def __deepcopy__(self, memo):
        new = Slotted.__new__(Slotted)
        memo[id(self)] = new
        new.__dict__ = copy.deepcopy(self.__dict__, memo)
        new.copies = self.copies + 1
        return new


def _structure(model):
    """What a copy must keep: every module's type and every attribute that is not a tensor or a
    module or a hook dictionary, with tensors as (shape, dtype, requires_grad)."""
    def plain(value):
        if isinstance(value, torch.Tensor):
            return ("tensor", tuple(value.shape), value.dtype, value.requires_grad)
        if callable(value) and hasattr(value, "__func__"):
            return ("method", value.__func__.__name__)
        return value

    return [(name, type(m).__name__, {k: plain(v) for k, v in vars(m).items() if not k.startswith("_")},
             {k: plain(v) for k, v in m._parameters.items()}, {k: plain(v) for k, v in m._buffers.items()})
            for name, m in model.named_modules()]


MODELS = {
    "custom attributes": Custom,
    "a class with its own __deepcopy__": lambda: nn.Sequential(Slotted(), nn.ReLU()),
    "weight_norm (parametrized)": models.hifigan_generator_weight_norm,
    "LSTM (its own __setstate__)": models.recurrent,
    "transformer": models.language_model,
    "frozen part": lambda: nn.Sequential(nn.Linear(3, 3).requires_grad_(False), nn.Linear(3, 2)),
}


@pytest.mark.parametrize("name", MODELS)
def test_meta_copy_is_deepcopy_with_meta_tensors(name):
    model = MODELS[name]()
    before = _structure(model)
    copied, reference = meta_copy(model), copy.deepcopy(model)
    assert _structure(copied) == _structure(reference)
    assert _structure(model) == before
    assert all(t.is_meta for t in (*copied.parameters(), *copied.buffers()))
    assert not any(t.is_meta for t in (*model.parameters(), *model.buffers()))
    assert [type(p) for p in copied.parameters()] == [type(p) for p in reference.parameters()]
    # nothing of the copy is the original's but what cannot change
    originals = {id(m) for m in model.modules()} | {id(t) for t in (*model.parameters(), *model.buffers())}
    assert not originals & ({id(m) for m in copied.modules()} | {id(t) for t in (*copied.parameters(),
                                                                                  *copied.buffers())})


def test_meta_copy_keeps_sharing_and_separates_mutable_state():
    model = Custom()
    copied = meta_copy(model)
    assert copied.tied is copied.conv.weight and copied.tied.is_meta
    assert copied.plain.is_meta and copied.steps.is_meta and copied.steps.dtype == torch.long
    assert copied.act.__self__ is copied  # a bound method is bound to the copy
    copied.history.append(3)
    copied.table["a"].append(4)
    copied.conv.stride = (2,)
    assert model.history == [1, 2] and model.table == {"a": [3]} and model.conv.stride == (1,)
    assert copied(torch.empty(1, 2, 9, device="meta")).shape == (1, 3, 4)


class Rebuilt(nn.Module):
    """A module whose class copies itself without telling the memo about its submodules."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 2)

    def __deepcopy__(self, memo):
        return Rebuilt()


@pytest.mark.parametrize("model", [*(make() for make in MODELS.values()), nn.Sequential(Slotted(), Rebuilt())])
def test_the_copy_modules_read_from_the_memo_are_the_copy_own(model):
    modules = named_modules(model)
    memo: dict = {}
    copied = meta_copy(model, modules=modules, memo=memo)
    ours = copied_modules(modules, memo, copied)
    theirs = named_modules(copied)
    assert [name for name, _ in ours] == [name for name, _ in theirs]
    assert all(a is b for (_, a), (_, b) in zip(ours, theirs, strict=True))


def test_meta_copy_uses_a_class_own_deepcopy():
    copied = meta_copy(nn.Sequential(Slotted()))
    assert copied[0].copies == 1 and copied[0].linear.weight.is_meta


def test_meta_copy_keeps_hooks_bound_to_the_copy():
    model = nn.Linear(2, 2)
    seen = []
    model.register_forward_hook(lambda module, args, out: seen.append(module))
    copied = meta_copy(model)
    copied(torch.empty(1, 2, device="meta"))
    assert seen == [copied]


def test_a_lazy_model_is_profiled_by_its_copy_first_forward():
    torch.manual_seed(0)
    model = nn.Sequential(nn.LazyConv2d(4, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(5))
    shape = (2, 3, 6, 6)
    prof = analytic.profile(model, shape)
    trained = analytic.profile(model, shape, backward=True)
    assert isinstance(model[0].weight, nn.parameter.UninitializedParameter)  # the user's model untouched
    initialised = copy.deepcopy(model)
    initialised(torch.zeros(shape))  # a real first forward makes the parameters
    assert prof.total["flops"] == torch_flops(initialised, shape)
    assert prof.parameters["total"] == sum(p.numel() for p in initialised.parameters())
    assert prof.total == analytic.profile(initialised, shape).total
    assert trained.total == analytic.profile(initialised, shape, backward=True).total
    with pytest.raises(RuntimeError, match="module '0' is lazy"):
        analytic.profile(model, (2, 3, "H", 6))


class CachingCorrelation(nn.Module):
    """Keeps what its forward computed, as RAFT's correlation block keeps its pyramid: a list, a
    dictionary and a tuple of tensors made with gradients (not graph leaves, which
    ``copy.deepcopy`` refuses) and a parameter held in a list, not registered."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.pyramid: list = [torch.tensor(0.0)]
        self.by_level: dict = {}
        self.last: tuple = ()
        self.loose = [nn.Parameter(torch.ones(3))]

    def forward(self, x):
        features = self.conv(x)
        self.pyramid = [features, F.avg_pool2d(features, 2)]
        self.by_level = {0: self.pyramid[0], "coarse": self.pyramid[1]}
        self.last = (self.pyramid[1], 2)
        return sum(level.mean() for level in self.pyramid) * self.loose[0].sum()


def test_a_forward_cache_of_tensors_with_gradients_is_copied_as_meta_tensors():
    model = CachingCorrelation()
    model(torch.randn(1, 2, 8, 8)).backward()  # the caches now hold tensors of the autograd graph
    assert model.pyramid[0].grad_fn is not None
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(model)
    copied = meta_copy(model)
    assert [t.device.type for t in copied.pyramid] == ["meta", "meta"]
    assert copied.by_level[0] is copied.pyramid[0] and copied.by_level["coarse"] is copied.pyramid[1]  # sharing
    assert copied.last[0] is copied.pyramid[1] and copied.last[1] == 2
    assert type(copied.loose[0]) is nn.Parameter and copied.loose[0].is_meta and copied.loose[0].requires_grad
    assert model.pyramid[0].device.type == "cpu" and model.pyramid is not copied.pyramid
    x = (1, 2, 16, 16)
    for backward in (False, True):
        profile = analytic.profile(model, x, backward=backward)
        assert profile.device == "meta" and not profile.uncounted
    assert model.pyramid[0].shape == (1, 4, 8, 8)  # the user's model untouched by the profiles
    assert analytic.profile(model, x).total["flops"] == torch_flops(model, x)
