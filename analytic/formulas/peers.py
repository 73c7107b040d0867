"""The peer tools' own rules for the operators beyond convolutions and matrix products, as data.

ptflops, thop, torchinfo and moduleprofiler count by *module*: a hook on each module whose type
they know (ptflops also patches a few functions of ``torch.nn.functional``).  An operator call is
charged what the tool charges for it where it runs: the formulas receive the type of the innermost
module that ran the call (``module``) and, where they read it, the torch function that made it
(``torch_function``: a mean made by ``F.adaptive_avg_pool2d`` is a pooling to the tools that patch
it), and the tables below say, per tool, which module type and operator it counts and how.
fvcore counts the operators of a traced graph by name; torch's counter counts matrix products,
convolutions and attention only.

A call the tool cannot see (a functional call where it hooks modules) is counted as if it saw
it: the rule of the module that the operator implements.  Where the tool's own output then differs
(``F.leaky_relu`` in a custom module, ``x + y`` where ptflops patches ``torch.add``), the README
says so with a measured example.

>>> activation("relu", "ReLU", 10, 10, ())["ptflops"]  # its module hook and its patched F.relu
20
>>> activation("relu", "ReLU", 10, 10, ())["thop"]
0
"""

from __future__ import annotations

from .registry import numel

__all__ = ["activation", "module_is"]

#: ptflops' default backend for element-wise operators: operator -> (the module type whose hook
#: counts it, whether ptflops patches the function of torch.nn.functional that runs it).  A call in
#: that module is counted twice (its hook, and the patched function the module calls), a call
#: elsewhere once (the function, or the module's rule where ptflops would see a module)
PTFLOPS_ELEMENTWISE = {"relu": ("ReLU", True), "_prelu_kernel": ("PReLU", True), "elu": ("ELU", True),
                       "leaky_relu": ("LeakyReLU", False), "hardtanh": ("ReLU6", False), "gelu": ("GELU", True),
                       "silu": (None, True)}
#: modules that run one of those operators for another activation, which ptflops does not count
PTFLOPS_UNSEEN = {"elu": ("SELU", "CELU"), "hardtanh": ("Hardtanh",)}
#: DeepSpeed's flops profiler: the element-wise operators of the functions it patches (F.relu,
#: F.prelu, F.elu, F.leaky_relu, F.relu6, F.silu, F.gelu); the modules that run one of them through
#: a function it does not patch
DEEPSPEED_ELEMENTWISE = ("relu", "_prelu_kernel", "elu", "leaky_relu", "hardtanh", "silu", "gelu")
DEEPSPEED_UNSEEN = {"hardtanh": ("ReLU6", "Hardtanh"), "elu": ("SELU", "CELU")}
#: moduleprofiler's documented activations: operator -> (module type, operations per element);
#: aten::elu is also SELU's, documented apart
MODULEPROFILER_ACTIVATIONS = {"relu": ("ReLU", 1), "leaky_relu": ("LeakyReLU", 4), "elu": ("ELU", 3),
                              "_prelu_kernel": ("PReLU", 4), "sigmoid": ("Sigmoid", 3), "tanh": ("Tanh", 7),
                              "softplus": ("Softplus", 5)}
_MODULEPROFILER_OTHER = {("elu", "SELU"): 7}


def module_is(module: str | None, *names: str) -> bool:
    """Whether the innermost module of the call is of one of these types (thop and ptflops key
    their hooks by the exact type)."""
    return module in names


def activation(op: str, module: str | None, out_elements, in_elements, args) -> dict[str, object]:
    """The peer columns of an element-wise call of ``op`` (its name without ``aten::``; an
    in-place variant counts as its out-of-place one) run by a module of type ``module``: what each
    tool charges the call where it sees it, and as if it saw it where it cannot (a functional call
    where it hooks modules)."""
    ptflops = 0
    if op in PTFLOPS_ELEMENTWISE and module not in PTFLOPS_UNSEEN.get(op, ()):
        hooked, patched = PTFLOPS_ELEMENTWISE[op]
        ptflops = out_elements * (1 + (patched and module == hooked))
    thop = in_elements if op == "_prelu_kernel" else 0  # thop's PReLU in evaluation; ReLUs count nothing
    moduleprofiler = 0
    if (op, module) in _MODULEPROFILER_OTHER:
        moduleprofiler = _MODULEPROFILER_OTHER[op, module] * in_elements
    elif op in MODULEPROFILER_ACTIVATIONS and module not in PTFLOPS_UNSEEN.get(op, ()):
        moduleprofiler = MODULEPROFILER_ACTIVATIONS[op][1] * in_elements
    # torchinfo: a module with a `weight` parameter, here PReLU's, counts the output's first size times it
    torchinfo = args[0][0] * numel(args[1]) if op == "_prelu_kernel" and len(args) > 1 and args[0] else 0
    # DeepSpeed: the input's elements, for the functions of torch.nn.functional it patches (nn.ReLU6
    # calls F.hardtanh, which it does not)
    deepspeed = in_elements if op in DEEPSPEED_ELEMENTWISE and module not in DEEPSPEED_UNSEEN.get(op, ()) else 0
    return {"moduleprofiler": moduleprofiler, "ptflops": ptflops, "thop": thop, "torchinfo": torchinfo,
            "deepspeed": deepspeed}
