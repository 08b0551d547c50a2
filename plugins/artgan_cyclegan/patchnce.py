"""PatchNCE (Park et al. 2020, "Contrastive Learning for Unpaired Image-to-Image Translation", §3.1-3.2).

A patch of the output should be closer to the input patch at the same place than to input
patches elsewhere in the same image. Both images go through the generator's own encoder
(:meth:`ResnetGenerator.encode`); at each tapped layer the same random locations are read
from both, projected by a small two-layer MLP per layer (:class:`ProjectionHeads`, trained
with the generator), L2-normalised, and scored with a cross-entropy whose logits are the
cosine similarities divided by a temperature τ: the positive is the same location, the
negatives the other sampled locations of the same image. The input's side is a fixed target
(no gradient), as in the paper's reference implementation.

Locations are drawn from the global torch random stream, which the engine seeds and
checkpoints, so a resumed run draws the same ones.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ProjectionHeads(nn.Module):
    """One MLP (Linear → ReLU → Linear, ``units`` wide) per tapped layer of ``channels`` channels."""

    def __init__(self, channels: list[int], units: int) -> None:
        super().__init__()
        self.heads = nn.ModuleList(
            nn.Sequential(nn.Linear(c, units), nn.ReLU(inplace=True), nn.Linear(units, units)) for c in channels
        )

    def forward(self, features: list[torch.Tensor], locations: list[torch.Tensor]) -> list[torch.Tensor]:
        """Each ``N×C×H×W`` feature map read at its flat ``locations``, projected: ``N×S×units``, unit length."""
        out = []
        for head, feature, where in zip(self.heads, features, locations):
            patches = feature.flatten(2).transpose(1, 2)[:, where]  # N×S×C
            out.append(F.normalize(head(patches).float(), dim=-1))
        return out


def sample_locations(features: list[torch.Tensor], count: int) -> list[torch.Tensor]:
    """``count`` distinct random flat positions per feature map (all of them where it has fewer),
    the same for every image of the batch."""
    locations = []
    for feature in features:
        positions = feature.shape[-2] * feature.shape[-1]
        locations.append(torch.randperm(positions, device=feature.device)[: min(count, positions)])
    return locations


def patchnce(query: torch.Tensor, key: torch.Tensor, temperature: float) -> torch.Tensor:
    """Mean InfoNCE of ``query`` patches (``N×S×D``, unit length) against ``key`` patches of the
    same images: the positive of query ``i`` is key ``i``, the negatives the other S-1 keys."""
    logits = torch.bmm(query.float(), key.detach().float().transpose(1, 2)) / temperature  # N×S×S
    targets = torch.arange(logits.shape[1], device=logits.device).expand(logits.shape[0], -1)
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten())


def patchnce_loss(generator: nn.Module, heads: ProjectionHeads, source: torch.Tensor, result: torch.Tensor,
                  patches: int, temperature: float) -> torch.Tensor:
    """PatchNCE of ``result = generator(source)`` against ``source``, averaged over the tapped layers."""
    taps = generator.encoder_taps()
    with torch.no_grad():
        keys_features = generator.encode(source, taps)
    locations = sample_locations(keys_features, patches)
    with torch.no_grad():
        keys = heads(keys_features, locations)
    queries = heads(generator.encode(result, taps), locations)
    return torch.stack([patchnce(q, k, temperature) for q, k in zip(queries, keys)]).mean()
