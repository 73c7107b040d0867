"""The backward pass: every gradient counted by the same registry as the forward, charged to the
module whose forward made it, equal to torch's counter on real forwards and backwards and, for
convolutions, to an all-ones measurement through autograd."""

import copy

import pytest
import torch
from hypothesis import assume, example, given
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

import analytic
from tests import models
from tests.profiles import examples

CONVOLUTIONS = {(1, False): torch.nn.Conv1d, (2, False): torch.nn.Conv2d,
                (1, True): torch.nn.ConvTranspose1d, (2, True): torch.nn.ConvTranspose2d}


@st.composite
def convolutions(draw):
    """A convolution torch accepts, in either direction, 1-d or 2-d, with its input, and which
    of the input, the weight and the bias want a gradient."""
    dims, transposed = draw(st.sampled_from([1, 2])), draw(st.booleans())
    groups = draw(st.integers(1, 2))
    in_channels, out_channels = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(dims))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    padding = tuple(draw(st.integers(0, 3)) for _ in range(dims))
    options = dict(stride=stride, padding=padding, dilation=dilation, groups=groups, bias=draw(st.booleans()))
    if transposed:
        options["output_padding"] = tuple(draw(st.integers(0, max(s, d) - 1))
                                          for s, d in zip(stride, dilation, strict=True))
    sizes = tuple(draw(st.integers(1, 7)) for _ in range(dims))
    layer = CONVOLUTIONS[dims, transposed](in_channels, out_channels, kernel, **options)
    try:
        with torch.no_grad():
            empty = layer(torch.zeros(1, in_channels, *sizes)).numel() == 0
    except RuntimeError:  # an output torch refuses (padding larger than the input allows)
        empty = True
    assume(not empty)  # (an empty output: the CPU returns it, torch's meta kernel refuses it)
    batch = draw(st.integers(1, 2))
    wants = draw(st.sampled_from([(True, True), (True, False), (False, True)]))  # input, weight
    return layer, (batch, in_channels, *sizes), wants


def _all_ones_exact(layer, shape, wants_input, wants_weight) -> int:
    """The exact count of the gradients, measured: input, weights and the output's gradient all
    ones, so each gradient element is the number of products it sums; it takes one addition fewer
    (none where it sums none)."""
    layer = copy.deepcopy(layer).double()
    with torch.no_grad():
        layer.weight.fill_(1)
        if layer.bias is not None:
            layer.bias.fill_(1)
    layer.weight.requires_grad_(wants_weight)
    x = torch.ones(shape, dtype=torch.float64, requires_grad=wants_input)
    out = layer(x)
    out.backward(torch.ones_like(out))
    total = 0
    for grad in ([x.grad] if wants_input else []) + ([layer.weight.grad] if wants_weight else []):
        total += 2 * int(grad.sum()) - int(torch.count_nonzero(grad))  # products, and their additions
    if layer.bias is not None:
        total += int(layer.bias.grad.sum()) - int(torch.count_nonzero(layer.bias.grad))
    return total


@given(convolutions())
@example((torch.nn.Conv1d(1, 1, 3, padding=1), (1, 1, 5), (True, True)))
@example((torch.nn.ConvTranspose1d(1, 1, 3, stride=2, dilation=3, output_padding=2), (1, 1, 2), (True, True)))
@examples(150, deadline=None)
def test_a_convolution_backward_counts_what_autograd_computes(drawn):
    layer, shape, (wants_input, wants_weight) = drawn
    layer.weight.requires_grad_(wants_weight)
    x = torch.randn(shape, requires_grad=wants_input)
    profile = analytic.profile(layer, example_inputs=x, backward=True)
    (row,) = [r for r in profile.rows if r.phase == "backward"]
    assert row.op == "aten::convolution_backward" and row.differentiates == "ConvolutionBackward0"
    assert row.counts["exact"] == _all_ones_exact(layer, shape, wants_input, wants_weight)
    with FlopCounterMode(display=False) as counter:
        layer(x).sum().backward()
    assert profile.total["flops"] == counter.get_total_flops()


# -- whole models: a real forward and backward under torch's counter ---------------------------------


def _torch_training_flops(model, x, loss=None):
    """``FlopCounterMode``'s total around a real forward and backward (``model(x).sum().backward()``),
    and its flops per module (torch's ``get_flop_counts``, keyed by module name)."""
    model = copy.deepcopy(model)
    with FlopCounterMode(display=False) as counter:
        out = model(x)
        (loss(out) if loss else out.sum()).backward()
    per_module = {name.split(".", 1)[1] if "." in name else "": sum(ops.values())
                  for name, ops in counter.get_flop_counts().items() if name != "Global"}
    return counter.get_total_flops(), per_module


def _attention_flops(batch, heads, queries, keys, width) -> int:
    """A fused attention's flops, forward (its two products) and backward (its five), as torch's
    counter counts them where it sees the kernel (``sdpa_flop_count``, ``sdpa_backward_flop_count``):
    ``2 B H L S E`` each."""
    return 7 * 2 * batch * heads * queries * keys * width


def _lstm_flops(steps, batch, layers) -> int:
    """An LSTM's flops by the matrix products of its steps: forward ``2 B (I + H) 4H`` per step and
    direction; backward twice that (the gradients of the inputs and of the weights)."""
    return 3 * sum(2 * steps * 2 * batch * (size + hidden) * 4 * hidden for size, hidden in layers)


MODELS = {  # name -> (model, input, what torch's counter does not see)
    "HiFi-GAN V1 (a vocoder)": (lambda: models.hifigan_generator(), lambda: torch.randn(1, 80, 6), lambda: 0),
    "U-Net": (lambda: models.unet(), lambda: torch.randn(1, 1, 32, 32), lambda: 0),
    "U-Net upsampling bilinearly": (lambda: models.interpolating_unet().train(), lambda: torch.randn(2, 1, 16, 16),
                                    lambda: 0),
    "ResNet in training": (lambda: models.resnet().train(), lambda: torch.randn(2, 3, 32, 32), lambda: 0),
    "transformer, eager attention, token ids": (lambda: models.language_model_eager(),
                                                lambda: torch.randint(0, 500, (2, 16)), lambda: 0),
    # the CPU's fused attention kernels, forward and backward, which torch's counter does not see
    "transformer, fused attention, token ids": (lambda: models.language_model(), lambda: torch.randint(0, 500, (2, 16)),
                                                lambda: 2 * _attention_flops(2, 4, 16, 16, 16)),
    # the CPU's fused LSTM kernels, which torch's counter does not see: two bidirectional layers
    "bidirectional LSTM": (lambda: models.recurrent(), lambda: torch.randn(2, 10, 40),
                           lambda: _lstm_flops(10, 2, [(40, 64), (128, 64)])),
    # grouped products, which torch's counter counts nowhere
    "mixture of experts": (lambda: models.mixture_of_experts(), lambda: torch.randn(2, 8, 16), lambda: 0),
}


@pytest.mark.parametrize("name", MODELS)
def test_a_training_step_counts_what_torch_counts_on_a_real_forward_and_backward(name):
    make, inputs, unseen = MODELS[name]
    model, x = make(), inputs()
    dtypes = [x.dtype] if not x.is_floating_point() else None
    profile = analytic.profile(model, tuple(x.shape), dtypes=dtypes, backward=True)
    assert not profile.uncounted
    flops, per_module = _torch_training_flops(model, x)
    assert profile.total["flops"] == flops + unseen()
    assert profile.phases["forward"]["flops"] + profile.phases["backward"]["flops"] == profile.total["flops"]
    if not unseen():  # each module charged its forward and its backward, as torch's counter charges them
        ours = {m.name: m.counts["flops"] for m in profile.by_module(1)}
        called = {k: v for k, v in per_module.items() if k in ours}  # (torch lists no container never called)
        assert called and all(ours[k] == v for k, v in called.items())
    # the tools that count no backward pass count none of its calls
    for row in profile.rows:
        if row.phase == "backward":
            assert row.differentiates.endswith(("Backward0", "Backward1"))
            assert all(row.counts[c] == 0 for c in ("moduleprofiler", "macs", "ptflops", "thop", "torchinfo",
                                                    "deepspeed"))


def test_gradients_exist_where_autograd_makes_them():
    model = models.hifigan_generator()
    for p in model.conv_pre.parameters():  # a frozen first layer: no gradient of its weight, nor of its input
        p.requires_grad_(False)
    profile = analytic.profile(model, (1, 80, 6), backward=True)
    flops, _ = _torch_training_flops(model, torch.randn(1, 80, 6))
    assert profile.total["flops"] == flops
    assert not [r for r in profile.rows if r.phase == "backward" and r.name == "conv_pre"]
    x = torch.randn(1, 80, 6, requires_grad=True)  # an input that wants its gradient gets it
    with_input = analytic.profile(models.hifigan_generator(), example_inputs=x, backward=True)
    without = analytic.profile(models.hifigan_generator(), (1, 80, 6), backward=True)
    assert with_input.phases["backward"]["flops"] - without.phases["backward"]["flops"] == 2 * 6 * 80 * 512 * 7
    on_cpu = analytic.profile(models.hifigan_generator(), (1, 80, 6), backward=True, device="cpu")
    assert on_cpu.device == "cpu" and on_cpu.total == without.total  # one model, one total, whatever the device
    with torch.no_grad(), pytest.warns(RuntimeWarning, match="no gradient"):
        none = analytic.profile(model, (1, 80, 6), backward=True)
    assert none.phases == {"forward": none.total}


def test_a_loss_of_the_output_is_differentiated():
    model = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.Tanh())

    def loss(y):
        return (y**2).mean()

    profile = analytic.profile(model, (3, 8), backward=True, loss=loss)
    assert profile.total["flops"] == _torch_training_flops(model, torch.randn(3, 8), loss)[0]
    assert {"aten::pow", "aten::mean", "aten::tanh_backward"} <= {r.op for r in profile.rows}
    with pytest.raises(ValueError, match="backward=True"):
        analytic.profile(model, (3, 8), loss=loss)
    with pytest.raises(TypeError, match="loss must give a tensor of one element"):
        analytic.profile(model, (3, 8), backward=True, loss=lambda y: y)


@given(st.integers(1, 3), st.integers(1, 5), st.integers(1, 5), st.integers(1, 4), st.booleans(), st.booleans())
@examples(60, deadline=None)
def test_a_linear_layer_backward_counts_what_autograd_computes(batch, inputs, outputs, rows, bias, wants_input):
    layer = torch.nn.Linear(inputs, outputs, bias=bias)
    x = torch.randn(rows, batch, inputs, requires_grad=wants_input)
    profile = analytic.profile(layer, example_inputs=x, backward=True)
    exact = sum(r.counts["exact"] for r in profile.rows if r.phase == "backward")
    # all ones: each gradient element sums as many products as its value
    ones = copy.deepcopy(layer).double()
    with torch.no_grad():
        for p in ones.parameters():
            p.fill_(1)
    y = torch.ones(rows, batch, inputs, dtype=torch.float64, requires_grad=wants_input)
    out = ones(y)
    out.backward(torch.ones_like(out))
    measured = 2 * int(ones.weight.grad.sum()) - int(torch.count_nonzero(ones.weight.grad))
    if wants_input:
        measured += 2 * int(y.grad.sum()) - int(torch.count_nonzero(y.grad))
    if bias:
        measured += int(ones.bias.grad.sum()) - int(torch.count_nonzero(ones.bias.grad))
    assert exact == measured


# -- formulas of a training step --------------------------------------------------------------------


@pytest.mark.slow
def test_a_training_step_is_a_formula_of_the_input_size():
    model = models.hifigan_generator()
    formula = analytic.profile(model, (1, 80, "L"), backward=True)
    (L,) = formula.sizes
    # forward 614,105,088 L (README); the backward twice that, but the first layer's input needs no gradient:
    # 2 * 80 * 512 * 7 per frame less
    assert formula.simplified().formula("flops") == (3 * 614_105_088 - 2 * 80 * 512 * 7) * L
    for frames in (4, 5):
        flops, _ = _torch_training_flops(model, torch.randn(1, 80, frames))
        evaluated = formula.evaluate(L=frames)
        assert evaluated.total["flops"] == flops
        assert evaluated.total == analytic.profile(model, (1, 80, frames), backward=True).total


def test_the_exports_and_the_command_line_carry_the_phase():
    import json

    from tests.helpers import tapcount

    model = torch.nn.Sequential(torch.nn.Conv1d(2, 4, 3), torch.nn.ReLU())
    profile = analytic.profile(model, (1, 2, 9), backward=True)
    document = json.loads(profile.to_json())
    assert [r["phase"] for r in document["rows"]] == [r.phase for r in profile.rows]
    assert document["phases"] == profile.phases and "backward" in document["phases"]
    lines = profile.to_csv().splitlines()
    assert lines[0].endswith(",phase,differentiates")
    assert any(line.endswith(",backward,ConvolutionBackward0") for line in lines)
    assert "total of the backward pass" in profile.to_text()
    pandas = pytest.importorskip("pandas")
    frame = profile.to_pandas()
    assert isinstance(frame, pandas.DataFrame) and set(frame["phase"]) == {"forward", "backward"}
    target = "tests/models.py:hifigan_generator"
    text = tapcount("profile", target, "--input-shape", "1,80,4", "--backward", "--depth", "1").stdout
    forward_only = tapcount("profile", target, "--input-shape", "1,80,4", "--depth", "1").stdout
    flops = analytic.profile(models.hifigan_generator(), (1, 80, 4), backward=True).total["flops"]
    assert f"{flops:,}" in text and f"{flops:,}" not in forward_only


@given(st.integers(1, 12), st.integers(1, 12), st.integers(1, 5), st.integers(1, 4), st.integers(0, 5),
       st.integers(1, 3))
@examples(300)
def test_the_tap_grid_of_a_gradient_is_its_enumeration(grid, window, kernel, stride, padding, dilation):
    from analytic.core.arithmetic import INTEGERS
    from analytic.formulas.convolution import tap_grid

    kept = [(a, m) for a in range(grid) for m in range(kernel) if 0 <= a * stride + m * dilation - padding < window]
    expected = (len(kept), len({a for a, _ in kept}), len({a * stride + m * dilation - padding for a, m in kept}),
                len({m for _, m in kept}))
    assert tap_grid(grid, window, kernel, stride, padding, dilation, INTEGERS) == expected


@pytest.mark.parametrize("causal", [False, True])
def test_a_fused_attention_backward_counts_the_pairs_its_kernel_keeps(causal):
    class Attention(torch.nn.Module):
        def forward(self, q):
            return torch.nn.functional.scaled_dot_product_attention(q, q, q, is_causal=causal)

    x = torch.randn(1, 2, 8, 4, requires_grad=True)
    (row,) = [r for r in analytic.profile(Attention(), example_inputs=x, backward=True).rows
              if r.op.endswith("attention_for_cpu_backward")]
    # by hand, 2 heads, L = S = 8, E = E_v = 4, P pairs kept (64; causal 8 * 9 / 2 = 36): the scores P (2E - 1),
    # their exponentials 3P, dV E (2P - S), dP P (2E - 1), D L (2E - 1), dS 2P, dQ and dK E (2P - L) each,
    # their scalings E (L + S)
    pairs = 36 if causal else 64
    by_hand = pairs * 7 + 3 * pairs + 4 * (2 * pairs - 8) + pairs * 7 + 8 * 7 + 2 * pairs + 2 * 4 * (2 * pairs - 8) + 64
    assert row.counts["exact"] == 2 * by_hand
    assert row.counts["flops"] == 5 * 2 * 2 * 8 * 8 * 4  # five products, causal or not (torch's rule)


def test_the_command_line_prints_a_training_steps_backward_pass_apart():
    from tests.helpers import tapcount

    text = tapcount("profile", "tests/models.py:filterbank_decoder", "--input-shape", "1,512,T", "--backward").stdout
    formula = analytic.profile(models.filterbank_decoder(), (1, 512, "T"), backward=True).simplified()
    flops = next(line for line in text.splitlines() if line.startswith("flops "))
    assert "of which the backward pass (simplified)" in text
    assert flops.split()[1:] == [str(formula.total["flops"]), str(formula.total["flops"]),
                                 str(formula.phases["backward"]["flops"])]
