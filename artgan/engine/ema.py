"""Exponential moving average of the inference networks' weights.

The decay is given as a half-life in images, as in StyleGAN2-ADA (``ema_kimg``), so it
means the same at any batch size: after ``half_life`` images an old weight counts half.
A ramp-up keeps the half-life below a fraction of the images seen so far, so the average
follows the fast early changes of training.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """Averaged copies of some networks, updated after each optimisation step."""

    def __init__(self, nets: dict[str, nn.Module], half_life_kimg: float, rampup: float = 0.05) -> None:
        self.sources = nets
        self.copies = {role: copy.deepcopy(net).eval().requires_grad_(False) for role, net in nets.items()}
        self.half_life_images = half_life_kimg * 1000.0
        self.rampup = rampup

    def beta(self, images_seen: int, batch_images: int) -> float:
        """How much of the old average one step of ``batch_images`` keeps."""
        half_life = self.half_life_images
        if self.rampup > 0:
            half_life = min(half_life, images_seen * self.rampup)
        return 0.5 ** (batch_images / max(half_life, 1e-8))

    @torch.no_grad()
    def update(self, images_seen: int, batch_images: int) -> None:
        beta = self.beta(images_seen, batch_images)
        for role, source in self.sources.items():
            target = self.copies[role]
            ema_params = list(target.parameters())
            params = [p.detach() for p in source.parameters()]
            torch._foreach_lerp_(ema_params, params, 1.0 - beta)
            for ema_buffer, buffer in zip(target.buffers(), source.buffers()):
                ema_buffer.copy_(buffer)

    def state_dicts(self) -> dict[str, dict[str, torch.Tensor]]:
        return {role: net.state_dict() for role, net in self.copies.items()}

    def load_state_dicts(self, states: dict[str, dict[str, torch.Tensor]]) -> None:
        for role, state in states.items():
            self.copies[role].load_state_dict(state)
