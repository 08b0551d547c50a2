"""A real, tiny plugin whose dataset reads files lazily (so a bad file surfaces mid-run)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import Dataset

from artgan.config import option
from artgan.engine.losses import d_nonsaturating, g_nonsaturating
from artgan.images import list_images, read_image, to_tensor
from artgan.outputs import Images
from artgan.plugin import Phase, Plugin, Verb


@dataclass
class LazyConfig:
    z_dim: int = 4  # noise length


@dataclass
class GenerateOptions:
    n: int = option(1, "how many", flag="-n")


def generate(model, options, inputs, generator):
    if options.n < 1:
        from artgan.errors import ArtganError

        raise ArtganError("n must be at least 1")
    return Images(model.nets["G"](torch.randn(options.n, model.config.z_dim, generator=generator)))


class Files(Dataset):
    def __init__(self, folder):
        self.paths = list_images(folder)

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, index):
        return to_tensor(read_image(self.paths[index], "L").resize((4, 4)))


class LazyPlugin(Plugin):
    name = "lazy"
    Config = LazyConfig
    roles = ("G", "D")
    verbs = (Verb("generate", generate, GenerateOptions, Images, channels=(1,), size=lambda c, o, i: (4, 4)),)

    def phases(self, config):
        return [Phase("D", ("D",)), Phase("G", ("G",))]

    def build(self, config):
        return {
            "G": nn.Sequential(nn.Linear(config.z_dim, 16), nn.Tanh(), nn.Unflatten(1, (1, 4, 4))),
            "D": nn.Sequential(nn.Flatten(), nn.Linear(16, 1), nn.Flatten(0)),
        }

    def dataset(self, source, config):
        if not isinstance(source, str):
            from artgan.errors import ArtganError

            raise ArtganError("give one folder")
        return Files(source)

    def loss(self, phase, nets, batch, config):
        z = torch.randn(batch.shape[0], config.z_dim)
        if phase == "D":
            return d_nonsaturating(nets["D"](batch), nets["D"](nets["G"](z).detach())), {}
        return g_nonsaturating(nets["D"](nets["G"](z))), {}

    def preview(self, nets, config, batch, generator):
        return nets["G"](torch.randn(4, config.z_dim, generator=generator))


plugin = LazyPlugin()
