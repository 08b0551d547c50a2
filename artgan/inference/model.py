"""A model loaded for inference, and the one way to run its verbs.

Loading is small: the plugin, its config as trained, the inference networks (EMA weights)
on a device, and the precision to run them in. Running a verb is the same for every plugin:
its options are type-checked, a seed is drawn if none is given (and reported), the verb runs
under ``torch.no_grad()``, and the output is stamped with its provenance. What a verb does
is the plugin's business.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Mapping
from typing import Any

import torch
from PIL import Image

from artgan import checkpoint as ckpt
from artgan._version import __version__
from artgan.config import from_dict, make_options
from artgan.engine import runtime as rt
from artgan.errors import ArtganError, did_you_mean
from artgan.images import open_image
from artgan.inference.files import gather_pictures
from artgan.memory import check_fits, check_networks
from artgan.outputs import Images, Output
from artgan.plugin import Plugin, Verb
from artgan.registry import ModelRef


class Model:
    """A model loaded for inference: its plugin, config and networks (EMA weights).

    Verbs run through :meth:`run` or as methods: ``model.generate(n=16, seed=1)``.
    """

    def __init__(self, ref: ModelRef, device: str = "auto", *, precision: str = "auto", untrained: bool = False) -> None:
        checkpoint = ckpt.find_checkpoint(ref.path)
        self.name = ref.name
        self.preset = ref.preset  # None for a checkpoint given by path
        self.plugin: Plugin = ref.plugin
        self.checkpoint = checkpoint
        self.config = from_dict(self.plugin.Config, checkpoint.meta["model_config"], what=f"{ref.name} model config")
        self.device = rt.select_device(device)
        self.precision = rt.inference_precision(precision, self.plugin.inference_precision, self.device)
        self.last_seed: int | None = None
        self.on_progress: Callable[[int, int], None] | None = None
        # sized on the meta device first: a config asking for a 40 GB network is refused, not allocated
        check_networks(lambda: self.plugin.build(self.config), f"loading {ref.name} (its networks)",
                       f"is the model config in {checkpoint.path} right? a model this large needs a machine with more memory",
                       self.device, resident=self.plugin.inference_roles, loaded=() if untrained else self.plugin.inference_roles)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)  # an untrained baseline is the same one every time
            nets = self.plugin.build(self.config)
        weights = {} if untrained else checkpoint.inference_weights()
        self.nets: dict[str, torch.nn.Module] = {}
        for role in self.plugin.inference_roles:
            net = nets[role]
            if not untrained:
                if role not in weights:
                    raise ArtganError(f"{checkpoint.path}: has no weights for {role!r}")
                try:
                    net.load_state_dict(weights[role])
                except RuntimeError as exc:
                    raise ArtganError(f"{checkpoint.path}: weights do not fit the {self.plugin.name} model ({exc})") from None
            self.nets[role] = net.to(self.device).eval().requires_grad_(False)
        if self.plugin.inference_channels_last:
            for net in self.nets.values():
                net.to(memory_format=torch.channels_last)

    def __repr__(self) -> str:
        return f"Model({self.name!r}, plugin={self.plugin.name!r}, device={str(self.device)!r})"

    def __getattr__(self, name: str) -> Any:
        """``model.<verb>(inputs, seed=..., **options)`` for every verb the plugin offers."""
        plugin = self.__dict__.get("plugin")
        verbs = {verb.name: verb for verb in getattr(plugin, "verbs", ())}
        if name.startswith("_") or name not in verbs:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

        def call(inputs: Any = None, *, seed: int | None = None, **options: Any) -> Output:
            return self.run(name, inputs, seed=seed, options=options)

        call.__doc__ = verbs[name].help
        return call

    # ------------------------------------------------------------------ facts
    @property
    def labels(self) -> list[str]:
        """Class names of a conditional model (empty if unconditional)."""
        return self.plugin.label_names(self.config)

    @property
    def verbs(self) -> dict[str, Verb]:
        return {verb.name: verb for verb in self.plugin.verbs}

    def verb(self, name: str) -> Verb:
        """The verb called ``name``, or an error that lists what this model can do."""
        verbs = self.verbs
        if name not in verbs:
            raise ArtganError(f"{self.name} cannot {name!r}{did_you_mean(name, verbs)}; it can: {', '.join(verbs)}")
        return verbs[name]

    def info(self) -> dict[str, Any]:
        """What the model is and where it came from, as JSON-ready data."""
        return {
            "name": self.name,
            "plugin": self.plugin.name,
            "verbs": list(self.verbs),
            "labels": self.labels,
            "step": self.checkpoint.meta.get("step"),
            "checkpoint": str(self.checkpoint.path),
            "device": str(self.device),
            "precision": self.precision,
        }

    # ------------------------------------------------------------------ what verbs use
    def autocast(self):  # noqa: ANN201 - a context manager
        """Mixed precision for forward passes (a no-op in fp32)."""
        return rt.Runtime(self.device, self.precision).autocast()

    def progress(self, done: int, total: int) -> None:
        """Verbs report progress of long work here; the command line shows it as a bar."""
        if self.on_progress is not None:
            self.on_progress(done, total)

    # ------------------------------------------------------------------ running verbs
    def run(self, verb: str, inputs: Any = None, *, seed: int | None = None,
            options: Mapping[str, Any] | None = None, texts: Mapping[str, str] | None = None) -> Output:
        """Run ``verb`` on ``inputs`` with ``options`` (Python values) and ``texts``
        (``-p key=value`` strings); return its output with provenance in ``metadata``."""
        spec = self.verb(verb)
        chosen = make_options(spec.Options, self._with_preset_options(spec.name, options or {}, texts or {}),
                              texts or {}, what=f"{spec.name} option")
        given = _inputs(spec, inputs, self.name, _shrink(spec, self.config, chosen))
        self.last_seed = check_seed(seed) if seed is not None else random.SystemRandom().randrange(2**31)
        generator = torch.Generator().manual_seed(self.last_seed)
        with torch.no_grad():
            output = spec.run(self, chosen, given, generator)
        if not isinstance(output, spec.output):
            raise TypeError(f"plugin {self.plugin.name!r}: verb {spec.name!r} returned {type(output).__name__}, "
                            f"but declares {spec.output.__name__}")
        if isinstance(output, Images):
            output.pixels = output.pixels.detach().float().cpu().clamp(-1, 1)
        output.metadata = {**_changed(chosen), **output.metadata,  # the core's own keys win
                           "model": self.name, "verb": spec.name, "seed": self.last_seed, "version": __version__}
        return output

    def _with_preset_options(self, verb: str, options: Mapping[str, Any], texts: Mapping[str, str]) -> dict[str, Any]:
        """``options`` over the preset's defaults for ``verb``: what the caller gives wins, and a
        ``mix`` given sets aside the preset's ``label`` (see :class:`artgan.plugin.Preset`)."""
        defaults = dict((getattr(self.preset, "options", None) or {}).get(verb, {}))
        given = {*options, *texts}
        if "mix" in given:
            defaults.pop("label", None)
        return {**{k: v for k, v in defaults.items() if k not in given}, **options}

    def untrained(self) -> Model:
        """A freshly initialised model of the same config: the baseline for quality figures."""
        return Model(ModelRef(self.name + " (untrained)", self.plugin, self.checkpoint.path), str(self.device),
                     precision=self.precision, untrained=True)


#: Seeds are whole numbers in [0, 2**63): what torch.Generator takes.
MAX_SEED = 2**63 - 1


def check_seed(seed: Any) -> int:
    """``seed`` if it is a whole number torch can seed with, else an ArtganError."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ArtganError(f"a seed is a whole number, got {seed!r}")
    if not 0 <= seed <= MAX_SEED:
        raise ArtganError(f"seed {seed} is out of range: give a whole number from 0 to {MAX_SEED}")
    return seed


def in_batches(n: int, batch_size: int, make: Callable[[int, int], torch.Tensor]) -> torch.Tensor:
    """``make(start, count)`` for consecutive chunks of at most ``batch_size`` of ``n`` items,
    concatenated on the CPU as float (so a large ``n`` never needs one huge batch)."""
    if n < 1:
        raise ArtganError("the number of images must be at least 1")
    first = make(0, min(batch_size, n)).float().cpu()
    if n > len(first):  # the first chunk tells what one item costs: refuse a total that cannot fit
        per_item = first[0].numel() * first.element_size()
        check_fits(per_item * n * 2, f"{n:,} images of {tuple(first.shape[1:])}",  # the result and one copy of it
                   "ask for fewer with -n, or run several smaller jobs")
    chunks = [first] + [make(start, min(batch_size, n - start)).float().cpu() for start in range(len(first), n, batch_size)]
    return torch.cat(chunks)


def _shrink(verb: Verb, config: Any, options: Any) -> Callable[[tuple[int, int]], tuple[int, int]] | None:
    """The size a picture of (H, W) becomes, from the verb's ``size`` hook: a JPEG that will
    only be shrunk is then decoded at a reduced scale (see :func:`artgan.images.open_image`)."""
    if verb.size is None:
        return None
    return lambda size: verb.size(config, options, size)


def _inputs(verb: Verb, inputs: Any, name: str, shrink: Callable[[tuple[int, int]], tuple[int, int]] | None = None) -> Any:
    """What the verb takes: nothing, one decoded picture, or a dict of name → picture."""
    if verb.takes == "nothing":
        if inputs is not None:
            raise ArtganError(f"{name}: {verb.name!r} takes no input pictures")
        return None
    if inputs is None:
        raise ArtganError(f"{name}: {verb.name!r} needs input pictures")
    if verb.takes == "image":
        return inputs if isinstance(inputs, Image.Image) else open_image(inputs, shrink=shrink)
    if isinstance(inputs, Mapping):
        return {str(k): v if isinstance(v, Image.Image) else open_image(v, shrink=shrink) for k, v in inputs.items()}
    return gather_pictures(inputs)


def _changed(options: Any) -> dict[str, Any]:
    """The options that differ from their defaults, for provenance."""
    defaults = type(options)()
    return {f.name: getattr(options, f.name) for f in dataclasses.fields(options)
            if getattr(options, f.name) != getattr(defaults, f.name)}
