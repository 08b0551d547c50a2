"""A real, tiny plugin whose dataset reads files lazily (so a bad file surfaces mid-run)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import Dataset

from artgan.engine.losses import d_nonsaturating, g_nonsaturating
from artgan.images import list_images, read_image, to_tensor
from artgan.plugin import Phase, Plugin


@dataclass
class LazyConfig:
    z_dim: int = 4  # noise length


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

    def phases(self, config):
        return [Phase("D", ("D",)), Phase("G", ("G",))]

    def build(self, config):
        return {
            "G": nn.Sequential(nn.Linear(config.z_dim, 16), nn.Tanh(), nn.Unflatten(1, (1, 4, 4))),
            "D": nn.Sequential(nn.Flatten(), nn.Linear(16, 1), nn.Flatten(0)),
        }

    def dataset(self, source, config):
        return Files(source)

    def loss(self, phase, nets, batch, config):
        z = torch.randn(batch.shape[0], config.z_dim)
        if phase == "D":
            return d_nonsaturating(nets["D"](batch), nets["D"](nets["G"](z).detach())), {}
        return g_nonsaturating(nets["D"](nets["G"](z))), {}

    def generate(self, nets, config, n, *, labels=None, generator=None, **options):
        return nets["G"](torch.randn(n, config.z_dim, generator=generator))


plugin = LazyPlugin()
