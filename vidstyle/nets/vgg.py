"""The normalised VGG-19 (Gatys et al.), in the layout of the AdaIN release so its state_dict loads as is.

Index 0 is a 1x1 conv that turns RGB in [0,1] into mean-subtracted Caffe BGR x255; then 16 reflection-padded
3x3 convs with ReLUs and max-pools. Activations average about 1 at every layer, so style layers weigh equally.
"""

from __future__ import annotations

import torch
from torch import nn

# Sequential index of each named ReLU output.
LAYERS = {
    "relu1_1": 3, "relu1_2": 6, "relu2_1": 10, "relu2_2": 13,
    "relu3_1": 17, "relu3_2": 20, "relu3_3": 23, "relu3_4": 26,
    "relu4_1": 30, "relu4_2": 33, "relu4_3": 36, "relu4_4": 39, "relu5_1": 43,
}
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")

_PLAN = [(3, 64), (64, 64), "M", (64, 128), (128, 128), "M", (128, 256), (256, 256), (256, 256), (256, 256), "M",
         (256, 512), (512, 512), (512, 512), (512, 512), "M", (512, 512), (512, 512), (512, 512), (512, 512)]


def build_vgg() -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(3, 3, 1)]
    for item in _PLAN:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))
        else:
            cin, cout = item
            layers += [nn.ReflectionPad2d(1), nn.Conv2d(cin, cout, 3), nn.ReLU()]
    return nn.Sequential(*layers)


class VGGFeatures(nn.Module):
    """Runs the VGG only as deep as the deepest requested layer and returns those activations by name."""

    def __init__(self, vgg: nn.Sequential, layers: tuple[str, ...]) -> None:
        super().__init__()
        self.layers = layers
        self.indices = {LAYERS[name]: name for name in layers}
        self.body = vgg[: max(self.indices) + 1]

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        for i, module in enumerate(self.body):
            x = module(x)
            if i in self.indices:
                out[self.indices[i]] = x
        return out
