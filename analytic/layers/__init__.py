"""Layer classes: counting twins of torch's convolutions (both directions, 1-d to 3-d) and of
``nn.Linear``, with torch's constructors, validation and every convention, no weights.

- :mod:`.base` — what the convolutions share (input shape, arithmetic, breakdown, ``ops``);
- :mod:`.transposed` — ``ConvTranspose1d/2d/3d``; :mod:`.forward` — ``Conv1d/2d/3d``;
- :mod:`.linear` — ``Linear``.
"""

from .base import CountingLayer
from .forward import PADDING_MODES, Conv1d, Conv2d, Conv3d, conv_from_module
from .linear import Linear
from .transposed import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, spec_from_module

__all__ = ["PADDING_MODES", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
           "CountingLayer", "Linear", "conv_from_module", "spec_from_module"]
