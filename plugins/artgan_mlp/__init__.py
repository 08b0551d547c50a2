"""``mlp``: the seed's classic MLP GAN, unconditional, 28×28 grayscale.

Architecture exactly as the seed listing: G maps 100-d normal noise through 256 → 512 →
1024 (ReLU) to 784 (sigmoid) = 28×28; D maps 784 through 1024 → 512 → 256 (ReLU) to one
logit; Adam with lr 2e-4, β1 0.5, batch 64.

What was corrected in the seed's training code, and why:

1. Its losses were computed outside the gradient tape, so no gradient reached either
   network. Here the engine back-propagates the loss each phase returns.
2. Its discriminator was given wrong targets. Here D minimises
   ``softplus(-D(x)) + softplus(D(G(z)))``: the logistic loss with real → 1, fake → 0.
3. It applied ``from_logits=True`` to a sigmoid output, squashing twice. Here D ends in a
   plain linear logit and the loss works on logits (``softplus``), which is also stable.
4. G uses the non-saturating objective ``softplus(-D(G(z)))`` (Goodfellow et al. 2014, §3)
   rather than minimising ``log(1 - D(G(z)))``, which gives no gradient early on.

The sigmoid output in [0, 1] is mapped affinely to artgan's [-1, 1] image range.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from artgan.config import option, setting
from artgan.errors import ArtganError
from artgan.outputs import Images
from artgan.plugin import Phase, Plugin, Preset, Verb

PRESETS_DIR = Path(__file__).parent / "presets"


@dataclass
class MLPConfig:
    """Settings of the MLP GAN; the defaults are the seed's architecture, trained as mlp.digits was."""

    z_dim: int = setting(100, minimum=1, maximum=65_536)  # length of the normal noise vector
    g_hidden: tuple[int, ...] = setting((256, 512, 1024), minimum=1, maximum=65_536)  # generator hidden widths (ReLU)
    d_hidden: tuple[int, ...] = setting((1024, 512, 256), minimum=1, maximum=65_536)  # discriminator hidden widths (ReLU)
    image_size: int = setting(28, minimum=2, maximum=1024)  # images are image_size × image_size grayscale
    lr: float = setting(2e-4, above=0, maximum=1)  # Adam learning rate of D (and of G unless g_lr is given)
    g_lr: float | None = setting(None, above=0, maximum=1)  # Adam learning rate of G (None: lr); a slower G is the two time-scale rule
    beta1: float = setting(0.5, minimum=0, below=1)  # Adam β1 of both networks
    objective: Literal["nonsaturating", "lsgan", "hinge"] = "nonsaturating"  # GAN objective
    d_dropout: float = setting(0.5, minimum=0, below=1)  # dropout after each hidden layer of D (0 = none): keeps every digit
    d_dropout_end: float | None = setting(None, minimum=0, below=1)  # D's dropout at the end of the run, reached linearly from d_dropout (None: d_dropout throughout)
    d_dropout_anneal_start: float = setting(0.5, minimum=0, below=1)  # share of the run after which D's dropout moves towards d_dropout_end
    r1_gamma: float = setting(0.0, minimum=0, maximum=1000)  # R1 weight γ: D's loss adds γ/2·‖∇D(x)‖² on real digits
    r1_start: float = setting(0.0, minimum=0, below=1)  # share of the run after which R1 applies (0: from the first step)
    label_smoothing: float = setting(0.0, minimum=0, below=0.5)  # one-sided: D's target for real digits is 1 − this (nonsaturating only)

    def __post_init__(self) -> None:
        if self.d_dropout == 0 and self.d_dropout_end:  # D is then built without dropout layers to change
            raise ArtganError("mlp setting d_dropout_end needs dropout in D to start from: give d_dropout > 0 too")
        if self.label_smoothing and self.objective != "nonsaturating":
            raise ArtganError(f"mlp setting label_smoothing applies to objective=nonsaturating, not {self.objective}")
        if self.r1_start and not self.r1_gamma:
            raise ArtganError("mlp setting r1_start needs an R1 weight to switch on: give r1_gamma > 0 too")


@dataclass
class GenerateOptions:
    """Options of ``generate``."""

    n: int = option(1, "How many images (more than one: a grid, or one file each in a folder).", flag="-n", minimum=1)
    batch_size: int = option(64, "Images per forward pass (memory, not the result).", minimum=1)


def generate(model: Any, options: GenerateOptions, inputs: None, generator: Any) -> Images:
    """``options.n`` digits from normal noise drawn from ``generator``."""
    import torch

    from artgan.inference import in_batches

    G = model.nets["G"]

    def batch(start: int, count: int) -> torch.Tensor:
        z = torch.randn(count, model.config.z_dim, generator=generator).to(model.device)
        with model.autocast():
            return G(z)

    return Images(in_batches(options.n, options.batch_size, batch))


def dropout_at(progress: float, config: MLPConfig) -> float:
    """D's dropout rate at ``progress`` (share of the run done): ``d_dropout`` until
    ``d_dropout_anneal_start``, then linearly to ``d_dropout_end`` at the end of the run."""
    if config.d_dropout_end is None:
        return config.d_dropout
    start = config.d_dropout_anneal_start
    moved = min(max((progress - start) / (1 - start), 0.0), 1.0)
    return config.d_dropout + (config.d_dropout_end - config.d_dropout) * moved


def r1_gamma_at(progress: float, config: MLPConfig) -> float:
    """The R1 weight at ``progress`` (share of the run done): 0 before ``r1_start``, ``r1_gamma`` from then on."""
    return config.r1_gamma if progress >= config.r1_start else 0.0


def _image_size(config: MLPConfig, options: GenerateOptions, inputs: Any) -> tuple[int, int]:
    return config.image_size, config.image_size


class MLPPlugin(Plugin):
    """Unconditional MLP GAN on small grayscale images."""

    name = "mlp"
    Config = MLPConfig
    roles = ("G", "D")
    verbs = (Verb("generate", generate, GenerateOptions, Images, channels=(1,), size=_image_size,
                  help="Draw digits (or whatever the model learnt) from noise."),)
    inference_roles = ("G",)
    augment_roles = ("D",)
    # Chosen on builtin:digits with benchmarks/mlp_digits_quality.py (see the mlp.digits card):
    # without dropout in D this MLP drops digits (zeros 0.1 %, fours 0.2 % at 5k steps, worse
    # later); dropout 0.5 keeps all ten from about 8k steps, and 20k steps with the learning rate
    # falling over the second half give the most recognisable ones (84.9 % vs 70.1 %).
    # DiffAugment made this MLP discriminator collapse (translation: SWD 158–727), so it stays off.
    train_defaults = {"batch_size": 64, "steps": 20_000, "lr_decay_start": 0.5, "ema_half_life_kimg": 20.0,
                      "sample_every": 500, "checkpoint_every": 1000}
    presets = (
        Preset(
            tag="digits",
            task="generate",
            path=PRESETS_DIR / "digits",
            sha256="8c099342d635d944a3325f0595efa0aa540d152b78c320ac333ad551163381c4",
            licence="CC-BY-4.0 (weights trained on the UCI handwritten digits via scikit-learn)",
            description="28×28 handwritten digits, trained on scikit-learn's 8×8 digits upscaled",
        ),
    )

    def tiny_config(self) -> MLPConfig:
        return MLPConfig(z_dim=8, g_hidden=(16,), d_hidden=(16,), image_size=8)

    def phases(self, config: MLPConfig) -> list[Phase]:
        betas = (config.beta1, 0.999)
        return [
            Phase("D", trains=("D",), lr=config.lr, betas=betas),
            Phase("G", trains=("G",), lr=config.lr if config.g_lr is None else config.g_lr, betas=betas),
        ]

    def build(self, config: MLPConfig) -> dict[str, Any]:
        from artgan_mlp.model import Discriminator, Generator

        D = Discriminator(config.d_hidden, config.image_size, config.d_dropout)
        D.r1_gamma = r1_gamma_at(0.0, config)
        return {"G": Generator(config.z_dim, config.g_hidden, config.image_size), "D": D}

    def dataset(self, source: str, config: MLPConfig) -> Any:
        from artgan_mlp.data import load_dataset

        return load_dataset(source, config.image_size)

    def loss(self, phase: str, nets: Any, batch: Any, config: MLPConfig) -> tuple[Any, dict[str, Any]]:
        import torch

        from artgan.engine.losses import objective, r1_penalty

        d_loss, g_loss = objective(config.objective)
        real = batch
        z = torch.randn(real.shape[0], config.z_dim, device=real.device)
        if phase == "D":
            with torch.no_grad():
                fake = nets["G"](z)
            real_logits, fake_logits = nets["D"](real), nets["D"](fake)
            logs = {"real_score": real_logits.detach().mean(), "fake_score": fake_logits.detach().mean()}
            loss = d_loss(real_logits, fake_logits)
            if config.label_smoothing:  # BCE towards 1 − s on real digits (Salimans et al. 2016, §3.4):
                # (1 − s)·softplus(−x) + s·softplus(x) = softplus(−x) + s·x
                loss = loss + config.label_smoothing * real_logits.float().mean()
            gamma = nets["D"].r1_gamma  # set by schedule(): R1 may start part-way through the run
            if gamma:
                penalty = r1_penalty(nets["D"], real)
                loss, logs["r1"] = loss + penalty * (gamma / 2), penalty.detach()
            return loss, logs
        return g_loss(nets["D"](nets["G"](z))), {}

    def schedule(self, nets: Any, config: MLPConfig, progress: float) -> None:
        if config.d_dropout_end is not None:
            nets["D"].set_dropout(dropout_at(progress, config))
        nets["D"].r1_gamma = r1_gamma_at(progress, config)

    def preview(self, nets: Any, config: MLPConfig, batch: Any, generator: Any) -> Any:
        import torch

        G = nets["G"]
        return G(torch.randn(16, config.z_dim, generator=generator).to(next(G.parameters()).device))

    def export_graphs(self, model: Any, verb: str) -> list[Any]:
        """``generate`` runs ``G``: noise ``N×z_dim`` (standard normal) to images ``N×1×S×S`` in [-1, 1]."""
        if verb != "generate":
            return []
        import torch

        from artgan.plugin import Graph

        generator = torch.Generator().manual_seed(0)
        z_dim, size = model.config.z_dim, model.config.image_size

        def noise(count: int) -> tuple[Any]:
            return (torch.randn(count, z_dim, generator=generator),)

        return [Graph("G", model.nets["G"], noise(4), ("z",), ("images",),
                      dynamic_axes={"z": {0: "batch"}, "images": {0: "batch"}}, parity_inputs=(noise(1), noise(9)),
                      convention={"input": f"z: N×{z_dim} float32 standard normal noise", "layout": "NCHW",
                                  "channels": "L", "range": [-1, 1], "size": [size, size]})]

    def evaluate(self, model: Any, source: Any, *, n: int, seed: int) -> dict[str, Any]:
        """SWD×1000 between ``n`` samples and ``n`` images of ``source``."""
        from artgan.metrics.generators import evaluate_generator

        def sample(count: int, sample_seed: int) -> Any:
            return model.run("generate", seed=sample_seed, options={"n": count}).pixels

        return evaluate_generator(sample, self.dataset(source, model.config), n=n, seed=seed)


plugin = MLPPlugin()
