"""The ``artgan`` command line: parse, delegate to the API, print. Nothing else.

Core commands are declared here; plugins add their own (``Plugin.commands()``), mounted
beside them. ``artgan generate`` and ``artgan run MODEL VERB`` run any verb of any plugin:
the verb's options become flags of their own (``--size 1024``, ``--tileable``) and can also
be set as ``-p key=value``. Every command takes ``--json`` for machine-readable output on
stdout. A mistake the user can fix is one line on stderr (``artgan: error: ...``) and exit
code 2, never a traceback. Plugin commands may use :func:`run_verb` and the options below.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from artgan._version import __version__
from artgan.errors import ArtganError

log = logging.getLogger("artgan")
_WANTS_JSON = False


class _TqdmHandler(logging.Handler):
    """Log lines that do not tear through a progress bar."""

    def emit(self, record: logging.LogRecord) -> None:
        from tqdm.auto import tqdm

        tqdm.write(f"artgan: {record.getMessage()}", file=sys.stderr)


def _guard_torch_autoload() -> None:
    """``import torch`` lists every entry point (for its device backends) and crashes on a package
    whose metadata cannot be read; artgan lists that package as broken, so turn the autoload off."""
    if "torch" in sys.modules or "TORCH_DEVICE_BACKEND_AUTOLOAD" in os.environ:
        return
    from artgan.registry import unreadable_packages

    if unreadable_packages():
        os.environ["TORCH_DEVICE_BACKEND_AUTOLOAD"] = "0"


class _Group(click.Group):
    """The core's commands and the plugins'; turns every user error into one stderr line and exit code 2."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *plugin_commands().commands})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return super().get_command(ctx, name) or plugin_commands(name).commands.get(name)

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        global _WANTS_JSON, _EMITTED
        argv = list(args) if args is not None else sys.argv[1:]
        _WANTS_JSON, _EMITTED = "--json" in argv, False
        _guard_torch_autoload()
        try:
            result = super().main(argv, prog_name or "artgan", complete_var, standalone_mode=False, **extra)
        except ArtganError as exc:
            _fail(str(exc))
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code)
        except (click.exceptions.Abort, KeyboardInterrupt):
            click.echo("artgan: interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            _stdout_gone()
            _fail("stdout was closed before everything was written (e.g. by `| head`)")
        except OSError as exc:  # disk full, permission denied, ... wherever it happened
            from artgan.files import write_error

            _fail(str(write_error(exc.filename or "the output", exc)))
        except MemoryError:
            _fail(_OUT_OF_MEMORY)
        except RuntimeError as exc:
            if not _is_out_of_memory(exc):
                raise
            _fail(f"{_OUT_OF_MEMORY} ({str(exc).splitlines()[0][:200]})")
        sys.exit(result if isinstance(result, int) else 0)


_OUT_OF_MEMORY = ("ran out of memory; ask for less at a time (a smaller --size, fewer images with -n, a lower "
                  "--batch-size or batch_size) or use a machine with more memory")


def _is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is an allocator's failure (CPU or CUDA), told apart without importing torch."""
    text = str(exc)
    return type(exc).__name__ == "OutOfMemoryError" or "can't allocate memory" in text or "out of memory" in text


def _stdout_gone() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush does not fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):
        pass


def _fail(message: str, code: int = 2) -> None:
    line = " ".join(message.split())
    if _WANTS_JSON and not _EMITTED:
        try:
            click.echo(json.dumps({"error": line}))
        except OSError:
            _stdout_gone()
    click.echo(f"artgan: error: {line}", err=True)
    sys.exit(code)


_EMITTED = False  # whether a command has printed its result (a later error then adds no second JSON document)


def emit(data: Any, as_json: bool, text: str) -> None:
    """Print ``data`` as JSON with ``--json``, else ``text``."""
    global _EMITTED
    if sys.stdout is None:
        raise ArtganError("stdout is closed; run the command with its output going somewhere (a file, a pipe or the terminal)")
    click.echo(json.dumps(data, indent=2, default=str) if as_json else text)
    _EMITTED = True


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
skip_existing_option = click.option("--skip-existing", is_flag=True,
                                    help="Leave inputs whose output already exists alone (resumes an interrupted batch).")
device_option = click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:N or mps.")
overwrite_option = click.option("--overwrite", is_flag=True, help="Replace existing output files (and inputs, if -o names one).")
_EXTRA = {"ignore_unknown_options": True, "allow_extra_args": True}
_DATA_HELP = ("Named collections, for plugins that learn from several: --data-NAME PATH, e.g. "
              "--data-a photos/ --data-b paintings/.")


def _data_source(data: str | None, extra: list[str]) -> str | dict[str, str] | None:
    """``--data X``, or ``--data-NAME X`` pairs as ``{NAME: X}``; anything else is refused."""
    named: dict[str, str] = {}
    items = list(extra)
    while items:
        item = items.pop(0)
        match = re.fullmatch(r"--data-([a-z0-9_]+)(?:=(.*))?", item)
        if not match:
            raise ArtganError(f"no such option: {item}")
        value = match.group(2) if match.group(2) is not None else (items.pop(0) if items else None)
        if value is None:
            raise ArtganError(f"{item} needs a folder or list of images")
        named[match.group(1)] = value
    if not named:
        return data
    if data is not None:
        raise ArtganError("give either --data or named --data-NAME collections, not both")
    return named


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="artgan")
def cli() -> None:
    """GANs for art: generate, train and evaluate models from plugins."""
    if not log.handlers:
        log.addHandler(_TqdmHandler())
        log.setLevel(logging.INFO)
        log.propagate = False


# --------------------------------------------------------------------------- plugin commands
@dataclass
class PluginCommands:
    """The commands plugins add: by name, which plugin added each, and why any are missing."""

    commands: dict[str, click.Command] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    scanned: list[str] = field(default_factory=list)  # plugins whose commands were collected so far
    complete: bool = False  # whether every plugin was


_COMMANDS: PluginCommands | None = None


def plugin_commands(wanted: str | None = None) -> PluginCommands:
    """The commands plugins add, each plugin's collected once; a plugin whose commands fail keeps its verbs.

    Plugins are visited first-party first, each group by name, so a clash always resolves the
    same way. With ``wanted`` the visit stops at the plugin that adds that command: a command of
    a first-party plugin imports no third-party package. Without it, every plugin is visited.
    """
    global _COMMANDS
    from artgan.registry import plugin_names, plugin_record

    found = _COMMANDS = _COMMANDS or PluginCommands()
    if found.complete:
        return found
    for name in plugin_names():
        if wanted is not None and wanted in found.commands:
            return found
        if name in found.scanned:
            continue
        found.scanned.append(name)
        record = plugin_record(name)
        if record is None or not record.ok:
            continue
        try:
            for command in list(record.plugin.commands()):
                if not isinstance(command, click.Command) or not command.name:
                    found.problems[name] = f"commands() returned {command!r}, not a named click command"
                elif command.name in cli.commands or command.name in found.commands:
                    found.problems[name] = f"its command {command.name!r} is already taken; rename it"
                else:
                    found.commands[command.name] = command
                    found.owners[command.name] = name
        except BaseException as exc:  # a broken plugin loses its commands, nothing else; even sys.exit()
            if isinstance(exc, KeyboardInterrupt):
                raise
            found.problems[name] = f"its commands failed to load: {type(exc).__name__}: {exc}"
    found.complete = True
    return found


# --------------------------------------------------------------------------- listing
@cli.command()
@json_option
def plugins(as_json: bool) -> None:
    """List installed plugins: verbs, formats, commands, and why any is broken."""
    from artgan.registry import discover

    mounted = plugin_commands()
    data = []
    for key, record in discover().items():  # a losing entry point's key says whose it is: "name (package)"
        plugin = record.plugin
        data.append({
            "name": key,
            "status": "ok" if record.ok else "broken",
            "package": record.distribution,
            "version": record.version,
            "verbs": [v.name for v in plugin.verbs] if plugin else [],
            "writes": sorted({s or "folder" for w in plugin.writers for s in w.suffixes}) if plugin else [],
            "commands": sorted(n for n, owner in mounted.owners.items() if owner == record.name),
            "roles": list(plugin.roles) if plugin else [],
            "presets": [p.tag for p in plugin.presets] if plugin else [],
            "variants": list(plugin.variants) if plugin else [],
            "error": record.error or mounted.problems.get(record.name),
        })
    rows = [[d["name"], d["status"], f"{d['package'] or '?'} {d['version'] or ''}".strip(),
             ", ".join(d["verbs"]) or "-", ", ".join(d["writes"] + d["commands"]) or "-",
             ", ".join(d["presets"]) or "-", ", ".join(d["variants"]) or "-"] for d in data]
    text = _table(rows, ["NAME", "STATUS", "PACKAGE", "VERBS", "FORMATS/COMMANDS", "PRESETS", "VARIANTS"]) if rows else "no plugins installed"
    problems = [f"  {d['name']}: {d['error']}" for d in data if d["error"]]
    if problems:
        text += "\n\nproblems:\n" + "\n".join(problems)
    emit(data, as_json, text)


@cli.command()
@json_option
def models(as_json: bool) -> None:
    """List the pretrained models the installed plugins ship."""
    from artgan.registry import list_models  # not artgan.api: listing needs no torch

    rows = list_models()
    table = [[m["name"], m["task"], f"{m['size_bytes'] / 1e6:.1f} MB" if m["size_bytes"] else "remote",
              m["licence"], m["description"]] for m in rows]
    emit(rows, as_json, _table(table, ["NAME", "TASK", "SIZE", "LICENCE", "DESCRIPTION"]) if rows else "no models installed")


@cli.command()
@json_option
def info(as_json: bool) -> None:
    """Show versions, devices, the cache folder and plugins."""
    from artgan.api import versions

    data = versions()
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
        f"cpu       {_cpu_line(data['cpu'])}",
        *(f"gpu       {g['name']} (compute capability {g['capability']}, bf16 "
          f"{'native' if g['bf16_native'] else 'not native'})" for g in data["gpus"]),
        f"precision auto on {data['precision']['device']}: {data['precision']['reason']}",
        "          " + "; ".join(f"{use} " + ", ".join(f"{n} {p[use]}" for n, p in data["precision"]["plugins"].items())
                                 for use in ("training", "inference")),
        f"cache     {data['cache_dir']}",
        "plugins   " + ", ".join(f"{n} {v}" for n, v in data["plugins"].items()),
    ]
    emit(data, as_json, "\n".join(lines))


def _cpu_line(cpu: dict[str, Any]) -> str:
    """``AMD EPYC: AVX2; no AVX-512, avx512_bf16, AMX; torch kernels AVX2``."""
    labels = {"avx2": "AVX2", "avx512f": "AVX-512", "avx512_bf16": "avx512_bf16", "amx_bf16": "AMX"}
    have = [label for flag, label in labels.items() if cpu["flags"].get(flag)]
    lack = [label for flag, label in labels.items() if not cpu["flags"].get(flag)]
    line = f"{cpu['name']}: {', '.join(have) or 'no AVX2'}" + (f"; no {', '.join(lack)}" if lack else "")
    return line + (f"; torch kernels {cpu['torch_capability']}" if cpu.get("torch_capability") else "")


# --------------------------------------------------------------------------- training
@cli.command(context_settings=_EXTRA)
@click.argument("plugin", required=False)
@click.option("--data", help="Training data: a folder, a .txt list of images, or a built-in name (builtin:NAME) a plugin offers. "
              + _DATA_HELP)
@click.option("--steps", type=click.IntRange(min=1), help="Total steps of the run (a resumed run keeps counting).")
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False), help="Run folder: checkpoints, samples, stats.jsonl.")
@click.option("-c", "--config", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a model or train setting; repeatable.")
@click.option("--variant", help="Start from one of the plugin's named configurations (see `artgan plugins`).")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its newest checkpoint.")
@click.option("--minutes", type=click.FloatRange(min=0, min_open=True),
              help="Stop (and save) after this many minutes of training, even before --steps; same as -c max_minutes=N.")
@device_option
@click.option("--quiet", is_flag=True, help="No progress bar.")
@json_option
@click.pass_context
def train(ctx: click.Context, plugin: str | None, data: str | None, steps: int | None, out: str,
          overrides: tuple[str, ...], variant: str | None, resume: bool, minutes: float | None, device: str, quiet: bool,
          as_json: bool) -> None:
    """Train PLUGIN's model on --data into the run folder --out (Ctrl-C saves and stops)."""
    import artgan.api as api
    from artgan.checkpoint import find_checkpoint

    settings = list(overrides) + ([f"max_minutes={minutes}"] if minutes is not None else [])
    final = api.train(plugin, _data_source(data, ctx.args), out, steps=steps, config=settings,
                      variant=variant, resume=resume, device=device, progress=not quiet)
    meta = find_checkpoint(final).meta
    timed_out = meta.get("stopped_by") == "time limit"
    finished = meta["step"] >= meta["train_config"]["steps"]
    if _is_main_process():
        data_out = {"checkpoint": str(final), "step": meta["step"], "plugin": meta["plugin"],
                    "wall_time_s": meta["wall_time_s"], "finished": finished, "stopped_by": meta.get("stopped_by")}
        emit(data_out, as_json, f"checkpoint {final} (step {meta['step']})")
    if not (finished or timed_out):  # stopped by Ctrl-C or SIGTERM: work saved, but the run is not done
        sys.exit(130)


def _is_main_process() -> bool:
    import os

    return os.environ.get("RANK", "0") == "0"


# --------------------------------------------------------------------------- running verbs
def _verb_params(verb: Any, *, inputs: bool) -> list[click.Parameter]:
    """Click parameters for a verb: the core's (-o, --seed, ...) and one flag per option field."""
    from artgan.config import option_table

    params: list[click.Parameter] = []
    if inputs:
        params.append(click.Argument(["inputs"], nargs=-1, required=True))
    params += [
        click.Option(["-o", "--out"], required=verb.takes != "image", type=click.Path(),
                     help="Output file or folder; its suffix picks the format (see `artgan plugins`); - writes a PNG to stdout."),
        click.Option(["--seed"], type=click.IntRange(0, 2**63 - 1), help="Seed for reproducible output (default: random, reported)."),
        click.Option(["-p", "--param", "params"], multiple=True, metavar="KEY=VALUE", help="Set any option of the verb; repeatable."),
        click.Option(["--columns"], type=click.IntRange(min=1), help="Grid columns when several images go into one file."),
        click.Option(["--overwrite"], is_flag=True, help="Replace existing output files."),
        *([click.Option(["--skip-existing"], is_flag=True, help="Leave inputs whose output already exists alone.")]
          if verb.takes == "image" else []),
        click.Option(["--device"], default="auto", show_default=True, help="auto, cpu, cuda, cuda:N or mps."),
        click.Option(["--json", "as_json"], is_flag=True, help="Print machine-readable JSON on stdout."),
    ]
    taken = {name for p in params for name in p.opts}
    for row in option_table(verb.Options):
        name = row["name"]
        flags = [f"-{name}" if len(name) == 1 else f"--{name.replace('_', '-')}"] + ([row["flag"]] if row["flag"] else [])
        flags = [f for f in dict.fromkeys(flags) if f not in taken]
        if not flags:
            continue  # only -p can set an option whose name the core uses
        decls = [*flags, f"opt_{name}"]
        if row["is_flag"]:
            params.append(click.Option(decls, is_flag=True, flag_value="true", default=None, help=row["help"]))
        else:
            default = f"  [default: {row['default']}]" if row["default"] not in (None, False) else ""
            params.append(click.Option(decls, default=None, metavar=row["metavar"], help=row["help"] + default))
    return params


def _texts(values: dict[str, Any]) -> dict[str, str]:
    """The verb options given on the command line, as ``name: text``."""
    texts = {key.removeprefix("opt_"): value for key, value in values.items() if key.startswith("opt_") and value is not None}
    for item in values.get("params", ()):
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ArtganError(f"-p {item!r}: write verb options as key=value, e.g. -p size=512")
        name = key.strip().replace("-", "_")
        if name in texts:
            raise ArtganError(f"option {name!r} is given twice")
        texts[name] = text
    return texts


def _run_from_args(model_name: str | None, verb_name: str, args: list[str], *, inputs: bool) -> None:
    """Load ``model_name``, then parse ``args`` against its verb's own options and run it."""
    if model_name in (None, "-h", "--help"):
        click.echo(click.get_current_context().get_help())
        return
    from artgan.api import load
    from artgan.registry import resolve_model

    ref = resolve_model(model_name, verb=verb_name)
    specs = {v.name: v for v in ref.plugin.verbs}
    if verb_name not in specs:
        raise ArtganError(f"{ref.name} cannot {verb_name!r}; it can: {', '.join(specs)} (use `artgan run {model_name} VERB`)")
    verb = specs[verb_name]

    def callback(**values: Any) -> None:
        from artgan.writers import check_target

        texts = _texts(values)
        if verb.takes == "nothing":
            check_target(values["out"], verb.output, ref.plugin.writers, overwrite=values["overwrite"])
        model = load(model_name, values["device"], verb=verb_name)
        run_verb(model, verb_name, list(values.get("inputs", ())), out=values["out"], texts=texts, seed=values["seed"],
                 columns=values["columns"], overwrite=values["overwrite"], as_json=values["as_json"],
                 skip_existing=values.get("skip_existing", False))

    command = click.Command(f"{verb_name}", params=_verb_params(verb, inputs=inputs and verb.takes != "nothing"),
                            callback=callback, help=f"{verb.help}\n\nOptions of {ref.name}'s {verb_name!r} and artgan's.",
                            context_settings={"help_option_names": ["-h", "--help"]})
    prog = f"artgan {verb_name} {model_name}" if verb_name == "generate" else f"artgan run {model_name} {verb_name}"
    try:
        command.main(args, prog_name=prog, standalone_mode=False)
    except click.NoSuchOption as exc:
        offered = ", ".join(o for p in command.params if isinstance(p, click.Option) and p.name.startswith("opt_") for o in p.opts[:1])
        raise ArtganError(f"{ref.name}'s {verb_name!r} has no option {exc.option_name} (its options: {offered or 'none'}; "
                          f"see `{prog} --help`)") from None


@cli.command(context_settings={**_EXTRA, "help_option_names": []})
@click.argument("model", required=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def generate(model: str | None, args: tuple[str, ...]) -> None:
    """Generate with MODEL (a name such as plugin.tag, or a run folder); `artgan generate MODEL --help`
    lists the model's own options."""
    _run_from_args(model, "generate", list(args), inputs=False)


@cli.command(name="run", context_settings={**_EXTRA, "help_option_names": []})
@click.argument("model", required=False)
@click.argument("verb", required=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def run_command(model: str | None, verb: str | None, args: tuple[str, ...]) -> None:
    """Run any VERB of MODEL (see `artgan plugins`); `artgan run MODEL VERB --help` lists its options."""
    if model not in (None, "-h", "--help") and (verb is None or verb.startswith("-")):
        from artgan.registry import resolve_model

        ref = resolve_model(model)
        raise ArtganError(f"say what {ref.name} should do: artgan run {model} VERB (verbs: {', '.join(v.name for v in ref.plugin.verbs)})")
    _run_from_args(model, verb or "", list(args), inputs=True)


def run_verb(model: Any, verb: str, inputs: list[str], *, out: str | None, options: dict[str, Any] | None = None,
             texts: dict[str, str] | None = None, seed: int | None = None, columns: int | None = None,
             overwrite: bool = False, as_json: bool = False, skip_existing: bool = False) -> None:
    """Run ``verb`` of a loaded ``model`` the way the command line does, and print what was written.

    A verb that takes nothing writes one output to ``out``; one that takes a picture runs over
    every input file (folders too, ``-`` for stdin → stdout) and writes each result beside its
    input or into ``out``, going on past a picture that fails (the command then fails at the
    end, having written the rest; ``skip_existing`` leaves inputs whose output exists alone);
    one that takes pictures reads them all into one call. Plugin commands call this with
    their own options.
    """
    spec = model.verb(verb)
    if spec.takes == "image":
        records = _run_on_pictures(model, verb, inputs, out=out, options=options, texts=texts, seed=seed, overwrite=overwrite,
                                   skip_existing=skip_existing, progress=not as_json)
        if records is not None:
            report_pictures(records, as_json)
        return
    from artgan.writers import check_target, choose, write_output

    to_stdout = out == "-"
    if to_stdout:  # a PNG on stdout: checked before the work like a file would be
        if as_json:
            raise ArtganError("-o - writes the picture to stdout, so --json has nowhere to go; drop one of them")
        choose("stdout.png", spec.output, model.plugin.writers)
        _refuse_terminal()
    else:
        check_target(out, spec.output, model.plugin.writers, overwrite=overwrite)
    given = inputs if spec.takes == "images" else None
    model.on_progress = _ProgressBar(verb, enabled=not as_json)
    try:
        output = model.run(verb, given, seed=seed, options=options, texts=texts)
    finally:
        model.on_progress.close()
    if columns is not None and hasattr(output, "columns"):
        output.columns = columns
    if to_stdout:
        provenance = {k: str(v) for k, v in output.metadata.items()}
        _write_stdout(choose("stdout.png", type(output), model.plugin.writers).encode(output, ".png", provenance))
        click.echo(f"wrote a PNG to stdout (seed {model.last_seed})", err=True)
        return
    files = write_output(output, out, writers=model.plugin.writers, overwrite=overwrite)
    data = {**output.report, **output.describe(), "model": model.name, "verb": verb, "seed": model.last_seed,
            "files": [str(f) for f in files]}
    where = files[0] if len(files) == 1 else f"{len(files)} files to {out}"
    figures = "".join(f"; {k} {v:.3g}" if isinstance(v, float) else f"; {k} {v}" for k, v in output.report.items())
    emit(data, as_json, f"wrote {where} (seed {model.last_seed}){figures}")


def report_pictures(records: list[dict[str, Any]], as_json: bool) -> None:
    """Print what a picture → picture verb did, one line (or JSON record) per input; fail at the
    end if any picture failed (the others were written)."""
    lines = [f"{r['input']} → {r['output']} ({r['width']}×{r['height']}, {r['seconds']:.2f} s)" if "width" in r
             else f"{r['input']}: {r['status']}" for r in records]
    emit(records, as_json, "\n".join(lines))
    failed = [r for r in records if r["status"] == "failed"]
    if failed:
        raise ArtganError(f"{len(failed)} of {len(records)} picture(s) failed, e.g. {failed[0]['error']}; "
                          "the others were written (rerun with --skip-existing once the bad ones are fixed)")


def _run_on_pictures(model: Any, verb: str, inputs: list[str], *, out: str | None, options: dict[str, Any] | None,
                     texts: dict[str, str] | None, seed: int | None, overwrite: bool, skip_existing: bool,
                     progress: bool) -> list[dict[str, Any]] | None:
    """Run a picture → picture verb over files, folders or stdin; one record per input (None for stdout)."""
    from artgan.inference.files import STDIO, keep_alpha, plan
    from artgan.writers import write_output

    if inputs == [STDIO]:
        if not out:
            _refuse_terminal()
        picture = io.BytesIO(_read_stdin())  # decoded by model.run, to the size the verb needs
        output = model.run(verb, picture, seed=seed, options=options, texts=texts)
        output.metadata["source"] = "stdin"
        if out:
            files = write_output(output, out, writers=model.plugin.writers, overwrite=overwrite)
            width, height = output.pixels.shape[-1], output.pixels.shape[-2]
            return [{"input": STDIO, "output": str(files[0]), "status": "written", "width": width, "height": height,
                     "seconds": 0.0}]
        from artgan.writers import choose

        provenance = {k: str(v) for k, v in output.metadata.items()}
        _write_stdout(choose("stdout.png", type(output)).encode(output, ".png", provenance))
        return None
    tag = model.preset.tag if model.preset is not None else Path(model.name).name
    pairs = plan(inputs, tag, out, overwrite or skip_existing)
    from tqdm.auto import tqdm

    records: list[dict[str, Any]] = []
    with tqdm(total=len(pairs), unit="image", desc=verb, disable=not progress or len(pairs) < 2) as bar:
        for source, target in pairs:
            started = time.perf_counter()
            record: dict[str, Any] = {"input": str(source), "output": str(target)}
            if skip_existing and not overwrite and (target.exists() or target.with_suffix(".png").exists()):
                records.append({**record, "status": "skipped (exists)"})
                bar.update(1)
                continue
            model.on_progress = _ProgressBar(verb, enabled=progress and len(pairs) == 1, unit="tile")
            try:
                output = model.run(verb, source, seed=seed, options=options, texts=texts)  # decoded there, to size
                output.metadata["source"] = source.name
                target = keep_alpha(target, output.pixels.shape[1] == 4, source, overwrite)
                write_output(output, target, writers=model.plugin.writers, overwrite=overwrite)
            except ArtganError as exc:
                if len(pairs) == 1:
                    raise
                message = " ".join(str(exc).split())
                message = message if str(source) in message else f"{source}: {message}"
                records.append({**record, "status": "failed", "error": message})
                log.warning("skipped %s", message)
                continue
            finally:
                model.on_progress.close()
                bar.update(1)
            records.append({**record, "output": str(target), "status": "written", "width": int(output.pixels.shape[-1]),
                            "height": int(output.pixels.shape[-2]), "seconds": round(time.perf_counter() - started, 3)})
    return records


def _refuse_terminal() -> None:
    """Before any work: binary output needs stdout to be open and not a terminal."""
    if sys.stdout is None:
        raise ArtganError("stdout is closed; give -o FILE or redirect the output (> out.png)")
    if sys.stdout.isatty():
        raise ArtganError("refusing to write a picture to the terminal; redirect it (> out.png) or give -o FILE")


def _read_stdin() -> bytes:
    if sys.stdin is None or sys.stdin.isatty():
        raise ArtganError("'-' reads a picture from stdin, but nothing is piped in; e.g. cat photo.jpg | artgan stylize -")
    return sys.stdin.buffer.read()


def _write_stdout(data: bytes) -> None:
    """Binary output on stdout; a closed or full stdout is a one-line error."""
    try:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        _stdout_gone()
        raise ArtganError("stdout was closed before the picture was written") from None
    except OSError as exc:
        _stdout_gone()
        raise ArtganError(f"could not write the picture to stdout: {exc.strerror or exc}") from None


class _ProgressBar:
    """A progress bar for long verbs (tiles, frames); none for work done in one go."""

    def __init__(self, description: str, *, enabled: bool, unit: str = "step") -> None:
        self.description, self.enabled, self.unit, self.bar = description, enabled, unit, None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < 2:
            return
        if self.bar is None:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, unit=self.unit, desc=self.description, leave=False)
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# --------------------------------------------------------------------------- evaluation, export
@cli.command(name="eval", context_settings=_EXTRA)
@click.argument("model")
@click.option("--data", help="Real data to compare with (as for training). " + _DATA_HELP)
@click.option("-n", "count", default=1000, show_default=True, type=click.IntRange(min=1), help="Images per side.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0, 2**63 - 1))
@click.option("--untrained", is_flag=True, help="Measure a freshly initialised model of the same config (a baseline).")
@device_option
@json_option
@click.pass_context
def evaluate(ctx: click.Context, model: str, data: str | None, count: int, seed: int, untrained: bool, device: str,
             as_json: bool) -> None:
    """Measure MODEL's quality against real data (the plugin says how; lower SWD is closer)."""
    import artgan.api as api

    source = _data_source(data, ctx.args)
    if source is None:
        raise ArtganError("say which data to compare with: --data, or named --data-NAME collections")
    loaded = api.load(model, device=device)
    if untrained:
        loaded = loaded.untrained()
    result = {"model": loaded.name, "data": source, **api.evaluate(loaded, source, n=count, seed=seed)}
    figures = ", ".join(f"{k} {v:.2f}" for k, v in _flatten(result).items() if isinstance(v, float))
    against = data if data is not None else " → ".join(source.values())
    emit(result, as_json, f"{loaded.name} vs {against} (n={result.get('n', count)}): {figures}")


@cli.command()
@click.argument("source")
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False), help="Folder for the export.")
@click.option("--format", "kind", type=click.Choice(["checkpoint", "onnx", "torchscript"]), default="checkpoint",
              show_default=True, help="checkpoint: inference-only weights (what a preset ships); onnx or torchscript: "
              "a graph per exportable network, checked against PyTorch, with a manifest.")
@click.option("--verb", "verbs", multiple=True, help="Graphs of this verb only (onnx, torchscript); repeatable. "
              "Default: every verb.")
@click.option("--dtype", type=click.Choice(["float16", "bfloat16", "float32"]), default=None,
              help="Precision of an exported checkpoint's weights.  [default: float16]")
@click.option("--overwrite", is_flag=True, help="Replace an existing export (a checkpoint export keeps its MODEL_CARD.md).")
@json_option
def export(source: str, out: str, kind: str, verbs: tuple[str, ...], dtype: str | None, overwrite: bool,
           as_json: bool) -> None:
    """Write an inference-only copy of SOURCE: a checkpoint (from a run or checkpoint folder), or
    ONNX / TorchScript graphs of a model's verbs (SOURCE: a model name or folder) for deployment."""
    if kind != "checkpoint":
        _export_graphs(source, out, kind, verbs, dtype, overwrite, as_json)
        return
    if verbs:
        raise ArtganError("--verb chooses graphs; it goes with --format onnx or torchscript")
    import torch

    from artgan.checkpoint import export_checkpoint, find_checkpoint
    from artgan.registry import get_plugin

    dtype = dtype or "float16"
    if Path(out).exists() and not overwrite:
        raise ArtganError(f"{out} exists; pass --overwrite to replace it")
    checkpoint = find_checkpoint(source)
    plugin = get_plugin(checkpoint.plugin)
    target = export_checkpoint(checkpoint, plugin.inference_roles, out, dtype=getattr(torch, dtype))
    meta = find_checkpoint(target).meta
    data = {"checkpoint": str(target), "sha256": meta["sha256"], "step": meta["step"], "dtype": dtype}
    emit(data, as_json, f"exported {checkpoint.path} → {target} ({dtype}, sha256 {meta['sha256']})")


def _export_graphs(source: str, out: str, kind: str, verbs: tuple[str, ...], dtype: str | None, overwrite: bool,
                   as_json: bool) -> None:
    """``artgan export --format onnx|torchscript``: the graphs, their parity figures, what was left out."""
    import importlib.util

    if dtype is not None:
        raise ArtganError(f"--dtype sets a checkpoint's weights; {kind} graphs compute in float32 (an ONNX graph stores "
                          "each weight as float16 where that loses nothing): drop --dtype")
    missing = [m for m in (("onnx", "onnxruntime") if kind == "onnx" else ()) if importlib.util.find_spec(m) is None]
    if missing:
        raise ArtganError(f"--format onnx needs {' and '.join(missing)}: pip install \"artgan[onnx]\"")
    from artgan.api import load
    from artgan.inference.export import export_model

    model = load(source, device="cpu", precision="fp32")
    manifest = export_model(model, out, format=kind, verbs=verbs or None, overwrite=overwrite)
    lines = [f"{g['verb']}: {Path(out) / g['file']} ({g['bytes'] / 1e6:.1f} MB; matches PyTorch within "
             f"{g['parity']['max_abs_diff']:.1e}, tolerance {g['parity']['tolerance']:g})" for g in manifest["graphs"]]
    lines += [f"not exported: {verb} ({why})" for verb, why in manifest["not_exported"].items()]
    emit(manifest, as_json, f"exported {model.name} as {kind} → {out}\n" + "\n".join(lines))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 lets other machines in (with a warning).")
@click.option("--port", default=7860, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free one).")
@click.option("-o", "--out", default="artgan-studio", show_default=True, type=click.Path(file_okay=False),
              help="Folder the results are written to.")
@click.option("--model", "models", multiple=True, help="Also offer this run or checkpoint folder; repeatable.")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the default browser.")
@device_option
def studio(host: str, port: int, out: str, models: tuple[str, ...], open_browser: bool, device: str) -> None:
    """Serve a local web page that runs every installed model (Ctrl-C stops it)."""
    from artgan.studio.server import serve

    serve(host=host, port=port, out=out, models=models, device=device, open_browser=open_browser, announce=click.echo)


def main() -> None:
    """Console-script entry point."""
    cli.main()


if __name__ == "__main__":
    main()
