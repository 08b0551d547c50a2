"""GAN objectives on discriminator logits, and gradient penalties.

Each objective is a pair ``(d_loss(real_logits, fake_logits), g_loss(fake_logits))``;
plugins pick one by name and keep their own maths small:

- ``nonsaturating``: logistic loss with the non-saturating generator objective
  (Goodfellow et al. 2014, §3), written with ``softplus`` so it is stable on logits;
- ``lsgan``: least squares towards 1 (real) and 0 (fake) (Mao et al. 2017), as CycleGAN uses;
- ``hinge``: (Lim & Ye 2017; Miyato et al. 2018);
- ``wgan``: the Wasserstein critic (Arjovsky et al. 2017), to pair with
  :func:`gradient_penalty` (Gulrajani et al. 2017).

:func:`r1_penalty` is the zero-centred penalty on real data (Mescheder et al. 2018) that
StyleGAN2 applies lazily, every 16 steps.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from artgan.errors import ArtganError
import torch.nn.functional as F

DLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
GLoss = Callable[[torch.Tensor], torch.Tensor]


# Logits are taken in float32: under bf16 autocast a mean over a large patch map loses precision.


def d_nonsaturating(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return F.softplus(-real.float()).mean() + F.softplus(fake.float()).mean()


def g_nonsaturating(fake: torch.Tensor) -> torch.Tensor:
    return F.softplus(-fake.float()).mean()


def d_lsgan(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return 0.5 * ((real.float() - 1).square().mean() + fake.float().square().mean())


def g_lsgan(fake: torch.Tensor) -> torch.Tensor:
    return (fake.float() - 1).square().mean()


def d_hinge(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return F.relu(1 - real.float()).mean() + F.relu(1 + fake.float()).mean()


def g_hinge(fake: torch.Tensor) -> torch.Tensor:
    return -fake.float().mean()


def d_wgan(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return fake.float().mean() - real.float().mean()


def g_wgan(fake: torch.Tensor) -> torch.Tensor:
    return -fake.float().mean()


OBJECTIVES: dict[str, tuple[DLoss, GLoss]] = {
    "nonsaturating": (d_nonsaturating, g_nonsaturating),
    "lsgan": (d_lsgan, g_lsgan),
    "hinge": (d_hinge, g_hinge),
    "wgan": (d_wgan, g_wgan),
}


def objective(name: str) -> tuple[DLoss, GLoss]:
    """The ``(d_loss, g_loss)`` pair called ``name``."""
    try:
        return OBJECTIVES[name]
    except KeyError:
        raise ArtganError(f"unknown GAN objective {name!r}; choose one of {', '.join(OBJECTIVES)}") from None


def r1_penalty(discriminator: Callable[..., torch.Tensor], real: torch.Tensor, *args: object) -> torch.Tensor:
    """Mean over the batch of ``‖∇ₓ D(x)‖²`` on real images ``x``."""
    real = real.detach().requires_grad_(True)
    logits = discriminator(real, *args)
    (grad,) = torch.autograd.grad(logits.sum(), real, create_graph=True)
    return grad.float().square().flatten(1).sum(1).mean()


def gradient_penalty(discriminator: Callable[..., torch.Tensor], real: torch.Tensor, fake: torch.Tensor, *args: object) -> torch.Tensor:
    """WGAN-GP: mean of ``(‖∇ D(x̂)‖ − 1)²`` at random points between real and fake."""
    alpha = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), device=real.device, dtype=real.dtype)
    mixed = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    logits = discriminator(mixed, *args)
    (grad,) = torch.autograd.grad(logits.sum(), mixed, create_graph=True)
    return (grad.float().flatten(1).norm(dim=1) - 1).square().mean()
