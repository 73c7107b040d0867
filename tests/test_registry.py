"""The operator registry and the model level around it: formulas keyed by qualified operator,
registered by users or given per call; totals per module at any depth (against torch's own
counter's per-module table); parameters (against the model's own); bytes produced (by hand)."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import analytic
from analytic.formulas import FORMULAS, Registry, counts, numel, qualified_name
from tests import models

# two custom operators: mylib::mm (not aten::mm), and mylib::scale with a formula of its own
_library = torch.library.Library("tapcount_test", "DEF")
_library.define("mm(Tensor a, Tensor b) -> Tensor")
_library.define("scale(Tensor a, float factor) -> Tensor")
for _name, _kernel in (("mm", lambda a, b: a @ b), ("scale", lambda a, factor: a * factor)):
    _library.impl(_name, _kernel, "CPU")
    _library.impl(_name, (lambda a, b: a.new_empty(a.shape[0], b.shape[1])) if _name == "mm" else
                  (lambda a, factor: torch.empty_like(a)), "Meta")


class Custom(torch.nn.Module):
    def forward(self, a, b):
        return torch.ops.tapcount_test.scale(torch.ops.tapcount_test.mm(a, b), 2.0)


def test_operators_are_keyed_by_qualified_name():
    assert qualified_name(torch.ops.aten.mm) == qualified_name(torch.ops.aten.mm.default) == "aten::mm"
    assert qualified_name(torch.ops.tapcount_test.mm) == "tapcount_test::mm"
    for bad, error in (("aten.mm", ValueError), ("mm", ValueError), (42, TypeError), (None, TypeError)):
        with pytest.raises(error, match="operator"):
            qualified_name(bad)
    # a custom operator named like one of torch's is not torch's: listed, not counted as aten::mm
    prof = analytic.profile(Custom(), example_inputs=((4, 3), (3, 5)))
    assert prof.uncounted == {"tapcount_test::mm": 1, "tapcount_test::scale": 1} and not prof.rows


def test_formulas_given_per_call_and_registered_count_custom_operators():
    def scale(a, factor, out_shape=None):
        return counts(exact=numel(a), ptflops=numel(a))

    prof = analytic.profile(Custom(), example_inputs=((4, 3), (3, 5)),
                            formulas={"tapcount_test::scale": scale, torch.ops.tapcount_test.mm: FORMULAS["aten::mm"]})
    assert [r.op for r in prof.rows] == ["tapcount_test::mm", "tapcount_test::scale"]
    assert [r.counts["exact"] for r in prof.rows] == [4 * 5 * (2 * 3 - 1), 4 * 5]
    assert "tapcount_test::scale" not in FORMULAS  # for that call only
    # a call's formula replaces a registered one
    relu = analytic.profile(torch.nn.ReLU(), (2, 3), formulas={torch.ops.aten.relu: lambda x, out_shape=None: counts(
        exact=100)})
    assert relu.total["exact"] == 100
    with pytest.raises(TypeError, match="must be callable"):
        analytic.profile(torch.nn.ReLU(), (2, 3), formulas={"aten::relu": 3})


class ThreeProducts(torch.nn.Module):
    """The same matrix product three ways: an nn.Linear on a 3-d input, F.linear on a 2-d one and
    torch.addmm itself, in a module's forward."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 3)

    def forward(self, x):
        y = self.linear(x)  # (2, 5, 4) -> (2, 5, 3)
        z = torch.nn.functional.linear(y[0], self.linear.weight[:, :3], self.linear.bias)  # (5, 3) -> (5, 3)
        return torch.addmm(self.linear.bias, z, self.linear.weight[:, :3])


def test_a_formula_reads_the_torch_function_that_made_the_call():
    seen = []

    def addmm(bias, a, b, *, beta=1, alpha=1, out_shape=None, torch_function=None):
        seen.append(torch_function and tuple(torch_function))
        return counts(exact=1)

    # the function's name, and its first argument's first size (none for torch.addmm's 1-d bias)
    expected = [("linear", 2), ("linear", 5), ("addmm", None)]
    for device in ("meta", "meta", "cpu"):
        seen.clear()
        prof = analytic.profile(ThreeProducts(), (2, 5, 4), formulas={"aten::addmm": addmm}, device=device)
        assert seen == expected and prof.total["exact"] == 3
    # the leading size on a formula of named sizes: a SymPy expression
    symbolic = analytic.profile(ThreeProducts(), ("N", 5, 4), formulas={"aten::addmm": addmm})
    assert str(symbolic.total["exact"]) == "3"


def test_register_formula_refuses_a_second_formula_for_an_operator():
    registry = Registry()
    registry.register("tapcount_test::scale")(lambda a, factor, out_shape=None: counts(exact=numel(a)))
    with pytest.raises(ValueError, match="registered already"):
        registry.register(torch.ops.tapcount_test.scale)(lambda *a, **k: counts())
    with pytest.raises(ValueError, match="registered already"):
        analytic.register_formula("aten::mm")(lambda *a, **k: counts())
    with pytest.raises(ValueError, match="kind"):
        registry.register("tapcount_test::mm", kind="other")


@pytest.mark.parametrize(("make", "shape"), [(models.resnet, (1, 3, 32, 32)), (models.hifigan_generator, (1, 80, 8)),
                                             (models.language_model_eager, (2, 8))])
def test_totals_per_module_at_every_depth_equal_torch_counter_per_module(make, shape):
    model = make()
    dtypes = [torch.long] if shape == (2, 8) else None
    prof = analytic.profile(model, shape, dtypes=dtypes)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(shape, dtype=dtypes[0] if dtypes else torch.float32))
    theirs = {name.partition(".")[2]: sum(by_op.values()) for name, by_op in counter.get_flop_counts().items()
              if name != "Global"}
    ours = {m.name: m.counts["flops"] for m in prof.by_module()}
    assert {name: ours[name] for name in theirs} == theirs  # torch's lists the modules called
    # a container never called (a ModuleList) holds the totals of what it holds
    for module in prof.by_module():
        children = [m for m in prof.by_module() if m.name.startswith(module.name + ".") and m.depth == module.depth + 1]
        if module.name and children and module.name not in theirs:
            assert module.counts["flops"] == sum(m.counts["flops"] for m in children), module.name
    # depth: the model, then one level, then two ...
    for depth in range(3):
        rows = prof.by_module(depth)
        assert all(m.depth <= depth for m in rows) and rows[0].name == "" and rows[0].counts == prof.total
    assert sum(m.counts["exact"] for m in prof.by_module(1) if m.depth == 1) <= prof.total["exact"]
    with pytest.raises(ValueError, match="depth"):
        prof.by_module(-1)


def test_parameters_trainable_and_frozen_per_module_and_in_total():
    model = models.resnet()
    for p in model.layers[0].parameters():
        p.requires_grad_(False)
    prof = analytic.profile(model, (1, 3, 32, 32))
    frozen = sum(p.numel() for p in model.layers[0].parameters())
    assert prof.parameters == {"trainable": sum(p.numel() for p in model.parameters()) - frozen, "frozen": frozen,
                               "total": sum(p.numel() for p in model.parameters())}
    for module in prof.by_module(2):
        owner = model.get_submodule(module.name)
        assert module.parameters == sum(p.numel() for p in owner.parameters()), module.name
    # weight normalisation's parameters are its layer's
    normalised = models.hifigan_generator_weight_norm()
    prof = analytic.profile(normalised, (1, 80, 4))
    assert prof.parameters["total"] == sum(p.numel() for p in normalised.parameters())
    assert {m.name for m in prof.by_module()} == {name for name, _ in models.hifigan_generator().named_modules()}


def test_bytes_the_pass_produces():
    # float32: the product's 2 x 4 outputs, then the ReLU's: 32 bytes each; the transposed weight is
    # a view, an in-place ReLU writes into its input
    model = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU())
    prof = analytic.profile(model, (2, 8))
    assert [r.output_bytes for r in prof.rows] == [32, 32] and prof.activation_bytes == 64
    inplace = analytic.profile(torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU(inplace=True)), (2, 8))
    assert inplace.activation_bytes == 32
    # a copy moves data and produces its bytes; max pooling's indices are int64
    pooled = analytic.profile(torch.nn.MaxPool1d(2), (1, 3, 8))
    assert pooled.activation_bytes == 3 * 4 * 4 + 3 * 4 * 8
    doubled = analytic.profile(torch.nn.Sequential(torch.nn.Identity()), example_inputs=(torch.ones(3, 5).double(),))
    assert doubled.activation_bytes == 0
    by_module = {m.name: m.output_bytes for m in prof.by_module()}
    assert by_module == {"": 64, "0": 32, "1": 32}


class _Block(torch.nn.Module):
    """A block that calls its first child's ``forward`` directly (no module call: no module
    entered), and maybe a layer with hooks of its own (a pre-hook that multiplies its input, a hook
    that multiplies its output)."""

    def __init__(self, hooked: bool):
        super().__init__()
        self.inner = torch.nn.Linear(8, 8)
        self.outer = torch.nn.Linear(8, 8)
        if hooked:
            self.outer.register_forward_pre_hook(lambda module, args: (args[0] @ torch.ones(8, 8),))
            self.outer.register_forward_hook(lambda module, args, out: out @ torch.ones(8, 8))

    def forward(self, x):
        return self.outer(self.inner.forward(x))


@pytest.mark.parametrize("hooked", [False, True])
@pytest.mark.parametrize("global_hook", [False, True])
def test_modules_are_charged_what_torch_counter_charges_them(hooked, global_hook):
    # torch's counter tracks modules by global module hooks: a direct forward call is charged to
    # the caller, a module's own hooks run outside it; so must the profile, whether the process
    # has global hooks of its own (a user's) or not, and whether a module has hooks of its own
    model = torch.nn.Sequential(_Block(hooked), torch.nn.Linear(8, 4))
    handle = torch.nn.modules.module.register_module_forward_hook(lambda *a: None) if global_hook else None
    try:
        prof = analytic.profile(model, (2, 8))
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            model(torch.zeros(2, 8))
    finally:
        if handle is not None:
            handle.remove()
    theirs = {name.partition(".")[2]: sum(by_op.values()) for name, by_op in counter.get_flop_counts().items()
              if name != "Global"}
    ours = {m.name: m.counts["flops"] for m in prof.by_module() if m.counts["flops"]}
    assert ours == theirs
    assert "0.inner" not in ours  # its products are its caller's


class CapturesOnFirstForward(torch.nn.Module):
    """Registers forward hooks on its layers during its first forward and reads what they capture,
    as transformers' models do (their output-capturing hooks: SegFormer's decoder reads the
    encoder's stages this way)."""

    def __init__(self):
        super().__init__()
        self.blocks = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU(), torch.nn.Linear(4, 4))
        self.head = torch.nn.Linear(8, 2)
        self.installed = False
        self.captured: list = []

    def forward(self, x):
        if not self.installed:
            for block in self.blocks:
                if isinstance(block, torch.nn.Linear):
                    block.register_forward_hook(lambda module, args, output: self.captured.append(output))
            self.installed = True
        self.captured = []
        self.blocks(x)
        return self.head(torch.cat(self.captured, dim=-1))


def test_hooks_a_forward_registers_run_in_the_profile():
    model = CapturesOnFirstForward()
    prof = analytic.profile(model, (3, 4))
    assert not model.installed  # the profile ran a copy
    assert prof.device == "meta" and prof.total == analytic.profile(model, (3, 4), device="cpu").total
    with FlopCounterMode(display=False) as counter:
        model(torch.randn(3, 4))
    assert prof.total["flops"] == counter.get_total_flops() == 2 * 3 * (4 * 4 + 4 * 4 + 8 * 2)
    assert [r.name for r in prof.rows if r.op == "aten::addmm"] == ["blocks.0", "blocks.2", "head"]
