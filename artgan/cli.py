"""The ``artgan`` command line: parse, delegate to the API, print. Nothing else.

Every command takes ``--json`` for machine-readable output on stdout. A mistake the user
can fix is one line on stderr (``artgan: error: ...``) and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

import artgan
from artgan.errors import ArtganError

log = logging.getLogger("artgan")
_WANTS_JSON = False


class _TqdmHandler(logging.Handler):
    """Log lines that do not tear through a progress bar."""

    def emit(self, record: logging.LogRecord) -> None:
        from tqdm.auto import tqdm

        tqdm.write(f"artgan: {record.getMessage()}", file=sys.stderr)


class _Group(click.Group):
    """Turns every user error into one stderr line and exit code 2."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        global _WANTS_JSON
        argv = list(args) if args is not None else sys.argv[1:]
        _WANTS_JSON = "--json" in argv
        try:
            result = super().main(argv, prog_name or "artgan", complete_var, standalone_mode=False, **extra)
        except ArtganError as exc:
            _fail(str(exc))
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code)
        except (click.exceptions.Abort, KeyboardInterrupt):
            click.echo("artgan: interrupted", err=True)
            sys.exit(130)
        sys.exit(result if isinstance(result, int) else 0)


def _fail(message: str, code: int = 2) -> None:
    line = " ".join(message.split())
    if _WANTS_JSON:
        click.echo(json.dumps({"error": line}))
    click.echo(f"artgan: error: {line}", err=True)
    sys.exit(code)


def _emit(data: Any, as_json: bool, text: str) -> None:
    click.echo(json.dumps(data, indent=2, default=str) if as_json else text)


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` → ``{"a.b": 1}``, for one-line summaries of nested results."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    return "\n".join(lines)


json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON on stdout.")
data_a_option = click.option("--data-a", help="First collection, for plugins that learn from two (e.g. photos).")
data_b_option = click.option("--data-b", help="Second collection (e.g. paintings).")


def _data_source(data: str | None, data_a: str | None, data_b: str | None) -> str | dict[str, str] | None:
    """``--data X``, or ``--data-a X --data-b Y`` as ``{"a": X, "b": Y}``."""
    if data_a is None and data_b is None:
        return data
    if data is not None:
        raise ArtganError("give either --data or --data-a/--data-b, not both")
    if data_a is None or data_b is None:
        raise ArtganError("--data-a and --data-b go together")
    return {"a": data_a, "b": data_b}


device_option = click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:N or mps.")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(artgan.__version__, prog_name="artgan")
def cli() -> None:
    """GANs for art: generate, train and evaluate models from plugins."""
    if not log.handlers:
        log.addHandler(_TqdmHandler())
        log.setLevel(logging.INFO)
        log.propagate = False


@cli.command()
@json_option
def plugins(as_json: bool) -> None:
    """List installed plugins, and why any is broken."""
    from artgan.registry import discover

    records = discover()
    data = [
        {
            "name": r.name,
            "status": "ok" if r.ok else "broken",
            "package": r.distribution,
            "version": r.version,
            "task": r.plugin.task if r.ok else None,
            "presets": [p.tag for p in r.plugin.presets] if r.ok else [],
            "variants": list(r.plugin.variants) if r.ok else [],
            "error": r.error,
        }
        for r in records.values()
    ]
    rows = [[d["name"], d["status"], f"{d['package'] or '?'} {d['version'] or ''}".strip(),
             d["task"] or "-", ", ".join(d["presets"]) or "-", ", ".join(d["variants"]) or "-"] for d in data]
    text = _table(rows, ["NAME", "STATUS", "PACKAGE", "TASK", "PRESETS", "VARIANTS"]) if rows else "no plugins installed"
    broken = [f"  {d['name']}: {d['error']}" for d in data if d["error"]]
    if broken:
        text += "\n\nbroken plugins:\n" + "\n".join(broken)
    _emit(data, as_json, text)


@cli.command()
@json_option
def models(as_json: bool) -> None:
    """List the pretrained models the installed plugins ship."""
    rows = artgan.list_models()
    table = [[m["name"], m["task"], f"{m['size_bytes'] / 1e6:.1f} MB" if m["size_bytes"] else "remote",
              m["licence"], m["description"]] for m in rows]
    _emit(rows, as_json, _table(table, ["NAME", "TASK", "SIZE", "LICENCE", "DESCRIPTION"]) if rows else "no models installed")


@cli.command()
@json_option
def info(as_json: bool) -> None:
    """Show versions, devices, the cache folder and plugins."""
    data = artgan.versions()
    devices = ", ".join(
        d["type"] + (f":{d['index']} ({d['name']})" if "index" in d else f" ({d['threads']} threads)" if "threads" in d else "")
        for d in data["devices"]
    )
    lines = [
        f"artgan    {data['artgan']}",
        f"python    {data['python']}",
        f"torch     {data['torch']}",
        f"platform  {data['platform']}",
        f"devices   {devices} (auto: {data['default_device']})",
        f"cache     {data['cache_dir']}",
        "plugins   " + ", ".join(f"{n} {v}" for n, v in data["plugins"].items()),
    ]
    _emit(data, as_json, "\n".join(lines))


@cli.command()
@click.argument("plugin", required=False)
@click.option("--data", help="Training data: a folder, a .txt list of images, or a built-in name such as builtin:digits.")
@data_a_option
@data_b_option
@click.option("--steps", type=click.IntRange(min=1), help="Total steps of the run (a resumed run keeps counting).")
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False), help="Run folder: checkpoints, samples, stats.jsonl.")
@click.option("-c", "--config", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a model or train setting; repeatable.")
@click.option("--variant", help="Start from one of the plugin's named configurations (see `artgan plugins`).")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its newest checkpoint.")
@device_option
@click.option("--quiet", is_flag=True, help="No progress bar.")
@json_option
def train(plugin: str | None, data: str | None, data_a: str | None, data_b: str | None, steps: int | None, out: str,
          overrides: tuple[str, ...], variant: str | None, resume: bool, device: str, quiet: bool, as_json: bool) -> None:
    """Train PLUGIN's model on --data into the run folder --out (Ctrl-C saves and stops)."""
    from artgan.checkpoint import find_checkpoint

    final = artgan.train(plugin, _data_source(data, data_a, data_b), out, steps=steps, config=list(overrides),
                         variant=variant, resume=resume, device=device, progress=not quiet)
    meta = find_checkpoint(final).meta
    finished = meta["step"] >= meta["train_config"]["steps"]
    data_out = {"checkpoint": str(final), "step": meta["step"], "plugin": meta["plugin"],
                "wall_time_s": meta["wall_time_s"], "finished": finished}
    _emit(data_out, as_json, f"checkpoint {final} (step {meta['step']})")
    if not finished:  # stopped by Ctrl-C or SIGTERM: work saved, but the run is not done
        sys.exit(130)


def _parse_size(text: str | None) -> int | tuple[int, int] | None:
    """``1024`` or ``1920x1080`` (width × height)."""
    if text is None:
        return None
    try:
        parts = [int(p) for p in text.lower().replace("×", "x").split("x")]
    except ValueError:
        parts = []
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    raise ArtganError(f"--size {text}: give pixels as 1024 or WIDTHxHEIGHT")


def _parse_mix(text: str) -> dict[str, float]:
    """``wood:0.5,stone:0.5`` → ``{"wood": 0.5, "stone": 0.5}``."""
    mix = {}
    for part in text.split(","):
        name, sep, weight = part.strip().rpartition(":")
        try:
            mix[name if sep else weight] = float(weight) if sep else 1.0
        except ValueError:
            raise ArtganError(f"--mix {text}: write classes with weights, e.g. wood:0.5,stone:0.5") from None
    return mix


@cli.command()
@click.argument("model")
@click.option("-n", "count", default=1, show_default=True, type=click.IntRange(min=1), help="How many images (more than one: a grid, or one file each in a folder).")
@click.option("--seed", type=int, help="Seed for reproducible output (default: random, reported).")
@click.option("--label", help="Class name or index, for conditional models.")
@click.option("--mix", help="Blend classes, e.g. wood:0.5,stone:0.5 (conditional models).")
@click.option("--size", "size_text", help="Output size in pixels, 1024 or WIDTHxHEIGHT (models that take any size).")
@click.option("--tileable", is_flag=True, help="Make images that wrap around seamlessly (models that can).")
@click.option("--interpolate", "seed_b", type=int, help="Slide from --seed to this seed: a strip (.png), a .gif, or frames.")
@click.option("--frames", default=8, show_default=True, type=click.IntRange(min=2), help="Frames of --interpolate.")
@click.option("-o", "--out", required=True, type=click.Path(), help="An image file (one grid), a .gif, or a folder (one file each).")
@click.option("--columns", type=click.IntRange(min=1), help="Grid columns (default: nearly square).")
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
@device_option
@json_option
def generate(model: str, count: int, seed: int | None, label: str | None, mix: str | None, size_text: str | None,
             tileable: bool, seed_b: int | None, frames: int, out: str, columns: int | None, overwrite: bool,
             device: str, as_json: bool) -> None:
    """Generate images with MODEL (a name such as mlp.digits, or a checkpoint folder)."""
    from artgan.images import IMAGE_SUFFIXES, make_grid, save_animation, save_image, to_pil
    from artgan.metrics.seams import seam_ratio

    if label is not None and mix is not None:
        raise ArtganError("give --label or --mix, not both")
    options: dict[str, Any] = {}
    if size_text is not None:
        options["size"] = _parse_size(size_text)
    if tileable:
        options["tileable"] = True
    labels = _parse_mix(mix) if mix is not None else label
    target = Path(out)
    animated = target.suffix.lower() == ".gif"
    if animated and seed_b is None:
        raise ArtganError("a .gif output is for --interpolate; write a .png for a grid")
    as_grid = target.suffix.lower() in IMAGE_SUFFIXES
    total = frames if seed_b is not None else count
    paths = [target] if as_grid or animated else [target / f"{i:04d}.png" for i in range(total)]
    existing = [p for p in paths if p.exists()]
    if existing and not overwrite:
        raise ArtganError(f"{existing[0]} exists; pass --overwrite to replace it or choose another -o")
    loaded = artgan.load(model, device=device, task="generate")
    if seed_b is not None:
        if seed is None:
            raise ArtganError("--interpolate needs a --seed to start from")
        images = loaded.interpolate(seed, seed_b, frames, labels=labels, output="tensor", **options)
        columns = columns or frames
    else:
        images = loaded.generate(count, seed=seed, labels=labels, output="tensor", **options)
    metadata = {"model": loaded.name, "seed": loaded.last_seed, "version": artgan.__version__, **options}
    if labels is not None:
        metadata["label"] = mix or label
    if seed_b is not None:
        metadata["interpolate_to"] = seed_b
    if animated:
        save_animation([to_pil(image) for image in images], target, metadata=metadata)
    elif as_grid:
        save_image(make_grid(images, columns, padding=0 if tileable else 2), target, metadata={**metadata, "count": len(images)})
    else:
        for index, (image, path) in enumerate(zip(images, paths)):
            save_image(image, path, metadata={**metadata, "index": index})
    data = {"model": loaded.name, "seed": loaded.last_seed, "count": len(images), "size": list(images.shape[-2:][::-1]),
            "files": [str(p) for p in paths]}
    if tileable:
        data["seam"] = seam_ratio(images)
    summary = f"wrote {target if as_grid or animated else f'{len(images)} images to {target}'} (seed {loaded.last_seed})"
    _emit(data, as_json, summary + (f"; seam figure {data['seam']:.2f} (1 = seamless)" if tileable else ""))


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--style", "-s", required=True, help="A style name (see `artgan models`) or a run/checkpoint folder.")
@click.option("-o", "--out", type=click.Path(), help="Output file (one input) or folder; default: beside each input.")
@click.option("--max-size", type=click.IntRange(min=8), help="Shrink inputs so the longer side is at most this many pixels.")
@click.option("--strength", default=1.0, show_default=True, type=click.FloatRange(0, 1), help="Blend with the original: 0 = unchanged, 1 = fully styled.")
@click.option("--preserve-color", is_flag=True, help="Keep the photo's colours; take the style's light and texture.")
@click.option("--overwrite", is_flag=True, help="Replace existing output files (and inputs, if -o names one).")
@device_option
@json_option
def stylize(inputs: tuple[str, ...], style: str, out: str | None, max_size: int | None, strength: float,
            preserve_color: bool, overwrite: bool, device: str, as_json: bool) -> None:
    """Repaint INPUTS (files, folders, or - for stdin → stdout) in a painter's style."""
    from artgan import stylize_files

    results = stylize_files.run(list(inputs), style=style, out=out, max_size=max_size, strength=strength,
                              preserve_color=preserve_color, overwrite=overwrite, device=device,
                              progress=not as_json)
    if results is None:  # the picture went to stdout
        return
    lines = [f"{r['input']} → {r['output']} ({r['width']}×{r['height']}, {r['seconds']:.2f} s)" for r in results]
    _emit(results, as_json, "\n".join(lines))


@cli.command(name="eval")
@click.argument("model")
@click.option("--data", help="Real data to compare with (as for training).")
@data_a_option
@data_b_option
@click.option("-n", "count", default=1000, show_default=True, type=click.IntRange(min=1), help="Images per side.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--untrained", is_flag=True, help="Measure a freshly initialised model of the same config (a baseline).")
@device_option
@json_option
def evaluate(model: str, data: str | None, data_a: str | None, data_b: str | None, count: int, seed: int,
             untrained: bool, device: str, as_json: bool) -> None:
    """Measure MODEL's quality against real data (the plugin says how; lower SWD is closer)."""
    source = _data_source(data, data_a, data_b)
    if source is None:
        raise ArtganError("say which data to compare with: --data, or --data-a and --data-b")
    loaded = artgan.load(model, device=device)
    if untrained:
        loaded = loaded.untrained()
    result = {"model": loaded.name, "data": source, **artgan.evaluate(loaded, source, n=count, seed=seed)}
    figures = ", ".join(f"{k} {v:.2f}" for k, v in _flatten(result).items() if isinstance(v, float))
    against = data if data is not None else f"{data_a} → {data_b}"
    _emit(result, as_json, f"{loaded.name} vs {against} (n={result.get('n', count)}): {figures}")


@cli.command()
@click.argument("source")
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False), help="Folder for the exported checkpoint.")
@click.option("--dtype", type=click.Choice(["float16", "bfloat16", "float32"]), default="float16", show_default=True,
              help="Precision of the exported weights.")
@click.option("--overwrite", is_flag=True, help="Replace an existing export folder.")
@json_option
def export(source: str, out: str, dtype: str, overwrite: bool, as_json: bool) -> None:
    """Write an inference-only copy of a run or checkpoint (what a preset ships)."""
    import torch

    from artgan.checkpoint import export_checkpoint, find_checkpoint
    from artgan.registry import get_plugin

    if Path(out).exists() and not overwrite:
        raise ArtganError(f"{out} exists; pass --overwrite to replace it")
    checkpoint = find_checkpoint(source)
    plugin = get_plugin(checkpoint.plugin)
    target = export_checkpoint(checkpoint, plugin.inference_roles, out, dtype=getattr(torch, dtype))
    meta = find_checkpoint(target).meta
    data = {"checkpoint": str(target), "sha256": meta["sha256"], "step": meta["step"], "dtype": dtype}
    _emit(data, as_json, f"exported {checkpoint.path} → {target} ({dtype}, sha256 {meta['sha256']})")


def main() -> None:
    """Console-script entry point."""
    cli.main()


if __name__ == "__main__":
    main()
