"""TorchScript in a model's code, run as its Python source during a pass on symbolic sizes.

The TorchScript interpreter reads sizes as numbers: a ``@torch.jit.script`` function in the forward
(an activation, say) would fix every size that flows through it to its example value.  torch keeps
the Python function a script was compiled from (``torch.compile`` inlines it the same way): for
the pass, each scripted function the model's code reaches is replaced by that Python function, and
put back after.  A scripted *module* keeps no Python source: it is refused, by name.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from contextlib import contextmanager

import torch

__all__ = ["python_source", "scripted_modules"]

#: how deep the search follows Python functions that the model's methods call
_DEPTH = 6


def _names(code: types.CodeType) -> set[str]:
    """The global and attribute names a code object and the code nested in it (lambdas,
    comprehensions, inner functions) refer to."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _names(constant)
    return names


def scripted_modules(modules: list) -> list[str]:
    """The qualified names of the TorchScript modules among a model's ``modules`` (its
    ``named_modules()``; ``torch.jit.script(module)``, ``torch.jit.trace``): their forward has no
    Python source."""
    return [name or "(model)" for name, m in modules if isinstance(m, torch.jit.ScriptModule)]


@contextmanager
def python_source(model: torch.nn.Module) -> Iterator[int]:
    """Within the block, every scripted function that the methods of ``model``'s module classes
    reach (through globals, modules' attributes, Python functions they call, and attributes of the
    model's own modules) is its Python source function; yields how many were replaced."""
    patched: list[tuple[dict, str, object]] = []
    seen: set[int] = set()

    def replace(namespace: dict, name: str, value) -> None:
        original = getattr(value, "_torchdynamo_inline", None)
        if callable(original):
            patched.append((namespace, name, value))
            namespace[name] = original
            visit(original, 0)

    def visit(function, depth: int) -> None:
        code = getattr(function, "__code__", None)
        if code is None or id(code) in seen or depth > _DEPTH:
            return
        seen.add(id(code))
        namespace = getattr(function, "__globals__", {})
        names = _names(code)
        for name in names:
            value = namespace.get(name)
            if isinstance(value, types.ModuleType) and not value.__name__.startswith("torch"):
                for attribute in names:  # module.attribute: the names the code reads, looked up in it
                    follow(vars(value), attribute, depth)
            else:
                follow(namespace, name, depth)

    def follow(table: dict, name: str, depth: int) -> None:
        """A name of ``table`` the code reads: a TorchScript function replaced, a function visited."""
        value = table.get(name)
        if isinstance(value, torch.jit.ScriptFunction):
            replace(table, name, value)
        elif isinstance(value, types.FunctionType):
            visit(value, depth + 1)

    for module in model.modules():
        for name, value in list(vars(module).items()):
            if isinstance(value, torch.jit.ScriptFunction):
                replace(vars(module), name, value)
    for kind in {type(m) for m in model.modules()}:
        for klass in kind.__mro__:
            if klass.__module__.startswith("torch"):
                continue  # torch's own layers: no scripts in their code
            for value in vars(klass).values():
                if isinstance(value, (types.FunctionType, staticmethod, classmethod)):
                    visit(getattr(value, "__func__", value), 0)
    try:
        yield len(patched)
    finally:
        for namespace, name, value in reversed(patched):
            namespace[name] = value
