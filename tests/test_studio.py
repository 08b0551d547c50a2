"""`artgan studio` without a browser: options → controls, the page's answers → options and a
command line that does the same, the one-at-a-time queue, and the HTTP API end to end."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

from artgan.config import option
from artgan.errors import ArtganError
from artgan.studio.controls import command_line, controls, read_options, read_seed
from artgan.studio.jobs import Worker

PHOTO = Path(__file__).parent / "data" / "reference_photo.png"  # 80×64 RGB


def _upper(value: Any) -> str:
    return str(value).upper()


@dataclass
class Toy:
    """Every kind of field a verb's options can have."""

    n: int = option(1, "How many.", flag="-n", minimum=1)
    strength: float = option(1.0, "How strong.", minimum=0, maximum=1)
    frames: int = option(8, "Frames.", minimum=2, maximum=10_000)
    steps: int = option(4, "Steps.", minimum=1, maximum=64)
    limit: int | None = option(None, "A cap.", minimum=8)
    tileable: bool = option(False, "Wrap around.")
    shiny: bool = option(True, "On unless turned off.")
    mode: Literal["fast", "good"] = option("fast", "Which way.")
    label: Any = option(None, "A class.")
    size: Any = option(None, "Free-form, with its own parser.", parse=_upper)
    seed: int = option(0, "A field whose flag the core keeps.")


def test_each_field_gets_the_control_its_type_and_range_call_for():
    rows = {row["name"]: row for row in controls(Toy, labels=["brick", "wood"])}
    assert rows["strength"]["kind"] == "slider"
    assert (rows["strength"]["minimum"], rows["strength"]["maximum"], rows["strength"]["integer"]) == (0, 1, False)
    assert rows["steps"]["kind"] == "slider" and rows["steps"]["step"] == 1  # a narrow whole-number range
    assert rows["frames"]["kind"] == "number" and rows["n"]["kind"] == "number"  # too wide, or unbounded above
    assert rows["limit"]["kind"] == "number" and rows["limit"]["optional"] and rows["limit"]["default"] == ""
    assert rows["tileable"]["kind"] == "checkbox" and rows["tileable"]["default"] == "false"
    assert rows["shiny"]["default"] == "true"
    assert rows["mode"] == {**rows["mode"], "kind": "select", "choices": ["fast", "good"], "default": "fast"}
    assert rows["label"]["kind"] == "select" and rows["label"]["choices"] == ["", "brick", "wood"]
    assert rows["size"]["kind"] == "text" and rows["size"]["help"] == "Free-form, with its own parser."
    assert [r["name"] for r in controls(Toy)] == [f for f in Toy.__dataclass_fields__]  # field order kept
    assert {r["name"]: r["kind"] for r in controls(Toy)}["label"] == "text"  # no class names: a text box


def test_the_pages_texts_are_read_as_the_command_line_reads_them():
    options, changed = read_options(Toy, {"n": "4", "strength": "1.0", "tileable": "true", "shiny": "true", "limit": "",
                                          "mode": "good", "size": "big"})
    assert (options.n, options.tileable, options.mode, options.size, options.limit) == (4, True, "good", "BIG", None)
    assert changed == {"n": "4", "tileable": "true", "mode": "good", "size": "big"}  # defaults left out
    with pytest.raises(ArtganError, match=r"^option strength: must be ≥ 0, ≤ 1, got 2$"):
        read_options(Toy, {"strength": "2"})
    with pytest.raises(ArtganError, match="unknown option 'colour'"):
        read_options(Toy, {"colour": "red"})
    assert read_seed("") is None and read_seed(" 12 ") == 12
    with pytest.raises(ArtganError, match="a seed is a whole number"):
        read_seed("twelve")


def test_a_presets_own_option_values_are_its_defaults():
    """A preset that fixes its class shows that class, and only a change from it is given to the verb."""
    rows = {row["name"]: row for row in controls(Toy, labels=["brick", "wood"], defaults={"label": "wood", "n": 4})}
    assert rows["label"]["choices"] == ["brick", "wood"] and rows["label"]["default"] == "wood"
    assert rows["n"]["default"] == "4"
    assert read_options(Toy, {"label": "wood", "n": "4"}, defaults={"label": "wood", "n": 4})[1] == {}
    options, changed = read_options(Toy, {"label": "brick", "n": "1"}, defaults={"label": "wood", "n": 4})
    assert changed == {"label": "brick", "n": "1"} and (options.label, options.n) == ("brick", 1)


def test_the_command_line_uses_the_verb_runners_flags():
    changed = {"n": "4", "tileable": "true", "shiny": "false", "size": "1920x1080", "seed": "5", "mode": "good"}
    line = command_line("toy.model", "generate", "nothing", Toy, changed, seed=7, out="x.png")
    assert line == ("artgan generate toy.model -n 4 --tileable -p shiny=false --size 1920x1080 -p seed=5 --mode good "
                    "--seed 7 -o x.png")
    picture = command_line("toy.model", "paint", "image", Toy, {"strength": "0.5"}, seed=1, inputs=["my photo.jpg"])
    assert picture == "artgan run toy.model paint 'my photo.jpg' --strength 0.5 --seed 1"


def test_the_worker_runs_one_job_at_a_time_in_order():
    worker = Worker()
    running, most, order = [0], [0], []
    lock = threading.Lock()

    def work(name: str):
        def run(job):
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.02)
            order.append(name)
            with lock:
                running[0] -= 1
            return name
        return run

    jobs = [worker.submit(f"job {i}", work(str(i))) for i in range(5)]
    assert worker.ahead(jobs[-1]) >= 1  # the last one waits behind the others
    for job in jobs:
        worker.wait(job, timeout=10)
    assert most[0] == 1 and order == ["0", "1", "2", "3", "4"]
    assert [worker.state(j)["result"] for j in jobs] == ["0", "1", "2", "3", "4"]

    def fails(job):
        raise ArtganError("photo.txt: not an\n  image file")

    failed = worker.wait(worker.submit("bad", fails))
    assert failed.status == "failed" and failed.error == "photo.txt: not an image file"  # one line, as the CLI prints
    worker.close()


# --------------------------------------------------------------------------- the HTTP API
@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    from artgan.studio.server import Studio

    out = tmp_path_factory.mktemp("studio") / "results"
    running = Studio(port=0, out=out, device="cpu").start()
    yield running
    running.close()


def call(studio, path: str, body: Any = None, *, raw: bytes | None = None, headers: dict | None = None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(studio.url.rstrip("/") + path, data=data, headers=headers or {},
                                     method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def answer(studio, path: str, body: Any = None, **kw) -> dict:
    return json.loads(call(studio, path, body, **kw)[2])


def finished(studio, job_id: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = answer(studio, f"/api/jobs/{job_id}")
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def test_the_catalogue_offers_every_installed_verb_and_shipped_model(studio):
    from artgan.registry import list_presets

    catalog = answer(studio, "/api/catalog")
    offered = {(m["name"], verb["name"]) for verb in catalog["verbs"] for m in verb["models"]}
    expected = {(full, v.name) for full, plugin, _ in list_presets() for v in plugin.verbs}
    assert offered == expected and expected
    takes = [verb["takes"] for verb in catalog["verbs"]]
    assert takes == sorted(takes, key=lambda t: t == "nothing")  # picture verbs first


def test_a_picture_is_stylized_at_its_size_with_provenance_and_a_command_that_does_the_same(studio, tmp_path, monkeypatch):
    from PIL import Image

    from artgan.images import read_metadata
    from conftest import run_cli

    upload = answer(studio, "/api/upload?name=photo.png", raw=PHOTO.read_bytes())
    read = finished(studio, upload["job"])
    assert read["result"]["width"] == 80 and read["result"]["height"] == 64
    queued = answer(studio, "/api/run", {"model": "cyclegan.vangogh", "verb": "stylize", "options": {"strength": "0.5"},
                                         "seed": "", "uploads": [upload["upload"]]})
    result = finished(studio, queued["job"])["result"]
    (written,) = result["files"]
    path = Path(written["path"])
    assert Image.open(path).size == (80, 64) and path.parent == studio.session.out
    assert read_metadata(path)["strength"] == "0.5" and read_metadata(path)["source"] == "photo.png"
    status, headers, data = call(studio, written["url"])
    assert status == 200 and data == path.read_bytes() and "attachment" in headers["Content-Disposition"]
    assert result["kind"] == "image" and result["before"] and result["previews"]
    # the command line it shows makes the same picture, beside the input, as the CLI names it
    monkeypatch.chdir(tmp_path)
    (tmp_path / "photo.png").write_bytes(PHOTO.read_bytes())
    words = result["command"].split()
    assert words[:5] == ["artgan", "run", "cyclegan.vangogh", "stylize", "photo.png"] and "-o" not in words
    run_cli(*words[1:])
    assert Image.open(tmp_path / "photo_vangogh.png").tobytes() == Image.open(path).tobytes()


def test_a_tileable_texture_is_generated_as_the_command_line_would(studio, tmp_path, monkeypatch):
    from PIL import Image

    from conftest import run_cli

    queued = answer(studio, "/api/run", {"model": "pattern.textures", "verb": "generate", "seed": "3",
                                         "options": {"size": "64", "tileable": "true", "label": "wood", "n": ""}})
    result = finished(studio, queued["job"])["result"]
    assert result["kind"] == "tiles" and result["settings"] == {"size": "64", "tileable": "true", "label": "wood"}
    path = Path(result["files"][0]["path"])
    assert Image.open(path).size == (64, 64)
    monkeypatch.chdir(tmp_path)
    run_cli(*result["command"].split()[1:])
    out = result["command"].split()[-1]
    assert Image.open(tmp_path / out).tobytes() == Image.open(path).tobytes()
    # another format, written on request beside the first, never over it
    exported = finished(studio, answer(studio, f"/api/results/{result['id']}/export", {"format": ".jpg"})["job"])
    files = [Path(f["path"]) for f in exported["result"]["files"]]
    assert [f.suffix for f in files] == [".png", ".jpg"] and files[1].name != files[0].name and files[1].exists()
    refused = answer(studio, f"/api/results/{result['id']}/export", {"format": ".xyz"})
    assert "cannot be written as '.xyz'" in refused["error"] and ".tif" in refused["error"]


def test_a_picture_larger_than_a_tile_reports_progress(studio):
    """Pictures wider than one tile are worked on piece by piece; the job says how far it got."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1100, 24), (90, 140, 200)).save(buffer, "PNG")
    upload = answer(studio, "/api/upload?name=wide.png", raw=buffer.getvalue())
    assert finished(studio, upload["job"])["status"] == "done"
    queued = answer(studio, "/api/run", {"model": "cyclegan.vangogh", "verb": "stylize", "uploads": [upload["upload"]]})
    state = finished(studio, queued["job"])
    assert state["status"] == "done" and state["total"] >= 2 and state["done"] == state["total"]
    assert Image.open(state["result"]["files"][0]["path"]).size == (1100, 24)


def test_a_bad_upload_gets_the_command_lines_message(studio, tmp_path, monkeypatch):
    from conftest import run_cli

    upload = answer(studio, "/api/upload?name=notes.jpg", raw=b"these are my notes, not a picture")
    state = finished(studio, upload["job"])
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.jpg").write_bytes(b"these are my notes, not a picture")
    cli = run_cli("run", "cyclegan.vangogh", "stylize", "notes.jpg", ok=False)
    assert cli.exit_code == 2
    assert state["status"] == "failed" and f"artgan: error: {state['error']}" == cli.stderr.strip()


def test_bad_requests_are_answered_with_the_remedy(studio):
    bad_value = answer(studio, "/api/run", {"model": "pattern.textures", "verb": "generate", "options": {"size": "huge"}})
    assert bad_value["error"] == "generate option size: size 'huge': give pixels as 1024 or WIDTHxHEIGHT"
    assert "unknown model 'nope'" in answer(studio, "/api/run", {"model": "nope", "verb": "generate"})["error"]
    no_picture = answer(studio, "/api/run", {"model": "cyclegan.vangogh", "verb": "stylize", "options": {}})
    assert "needs a picture" in no_picture["error"]
    assert call(studio, "/api/nothing-here")[0] == 404


def test_other_hosts_and_other_origins_are_refused(studio):
    assert call(studio, "/api/catalog", headers={"Host": "attacker.example:80"})[0] == 403
    status, _, data = call(studio, "/api/run", {"model": "x"}, headers={"Origin": "http://attacker.example"})
    assert status == 403 and b"other web pages" in data
    same = f"http://127.0.0.1:{studio.port}"
    assert call(studio, "/api/run", {"model": "x"}, headers={"Origin": same})[0] == 400  # let in, then refused as a bad model


def test_only_the_loopback_address_is_private():
    from artgan.studio.server import _allowed_hosts, is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("")
    assert _allowed_hosts("127.0.0.1", 7860) == {"127.0.0.1:7860", "localhost:7860", "[::1]:7860"}
    assert _allowed_hosts("0.0.0.0", 7860) is None  # asked to be reachable: any Host (serve() warns)


def test_the_page_fetches_nothing_from_elsewhere(studio):
    for path in ("/", "/static/studio.js", "/static/studio.css"):
        status, headers, data = call(studio, path)
        assert status == 200 and "default-src 'self'" in headers["Content-Security-Policy"]
        text = data.decode()
        assert not re.search(r"(?:https?:)?//[\w.-]+\.\w", re.sub(r"^\s*//.*$", "", text, flags=re.M)), path
        assert "@import" not in text and "url(" not in text


def test_results_are_never_written_over(tmp_path):
    from artgan.studio.results import numbered

    (tmp_path / "0001_a.png").write_bytes(b"mine")
    (tmp_path / "0007_b.png").write_bytes(b"mine too")
    assert numbered(tmp_path, "c", ".png").name == "0008_c.png"
    assert numbered(tmp_path / "new", "c", ".png").name == "0001_c.png"


def test_outputs_kept_for_other_formats_are_bounded_in_memory(tmp_path, monkeypatch):
    import torch

    from artgan.outputs import Images
    from artgan.studio import session as studio_session
    from artgan.studio.catalog import Catalog
    from artgan.studio.results import Result, output_bytes

    monkeypatch.setattr(studio_session, "KEEP_OUTPUT_BYTES", 3 * 4 * 3 * 8 * 8)  # room for three 3×8×8 float pictures
    session = studio_session.Session(Catalog(), tmp_path)
    try:
        for index in range(5):
            output = Images(torch.zeros(1, 3, 8, 8))
            assert output_bytes(output) == 4 * 3 * 8 * 8
            session._results[f"r{index}"] = Result(f"r{index}", "m", "v", 0, {}, "", "image", output=output)
            session._forget_outputs()
        kept = [r.id for r in session._results.values() if r.output is not None]
        assert kept == ["r2", "r3", "r4"]  # the newest that fit
        session._results["r0"].formats = [".jpg"]
        with pytest.raises(ArtganError, match="no longer in memory"):
            session.export("r0", ".jpg")
    finally:
        session.close()


def test_a_taken_port_is_a_one_line_error_with_the_remedy(studio):
    from artgan.studio.server import Studio

    with pytest.raises(ArtganError, match=r"port \d+ on 127.0.0.1 is taken .*--port 0"):
        Studio(port=studio.port)


def test_a_third_party_output_type_is_offered_through_its_own_writers(tmp_path):
    """The example heights plugin (its own Heightfield output and .r16/.pgm writers) runs on the
    page with no change to the studio: its files are offered as downloads."""
    pytest.importorskip("artgan_heights")
    import artgan
    from artgan.registry import get_plugin
    from artgan.studio.server import Studio

    plugin = get_plugin("heights")
    source = plugin.test_source(tmp_path / "data", plugin.tiny_config())
    run = tmp_path / "run"
    artgan.train("heights", source, run, steps=2, device="cpu", progress=False,
                 config=["z_dim=4", "width=8", "image_size=8", "batch_size=2", "workers=0", "sample_every=0"])
    studio = Studio(port=0, out=tmp_path / "results", models=[str(run)], device="cpu").start()
    try:
        verbs = answer(studio, "/api/catalog")["verbs"]
        model = next(m for v in verbs if v["name"] == "generate" for m in v["models"] if m["name"] == str(run))
        assert model["output"] == "Heightfield" and model["formats"][:2] == [".r16", ".pgm"]
        assert {c["name"]: c["kind"] for c in model["controls"]}["label"] == "select"  # its classes, from its config
        queued = answer(studio, "/api/run", {"model": str(run), "verb": "generate", "seed": "1",
                                             "options": {"n": "2", "label": model["labels"][0]}})
        result = finished(studio, queued["job"])["result"]
        assert result["kind"] == "files" and result["summary"]["type"] == "Heightfield"
        (main,) = result["files"]
        assert main["format"] == ".r16" and Path(main["path"]).stat().st_size == 8 * 8 * 2 * 2
        assert ".pgm" in result["more_formats"] and "folder" in result["more_formats"]
        exported = finished(studio, answer(studio, f"/api/results/{result['id']}/export", {"format": "folder"})["job"])
        folder = exported["result"]["files"][1]
        status, headers, data = call(studio, folder["url"])
        assert status == 200 and headers["Content-Type"] == "application/zip" and data.startswith(b"PK")
    finally:
        studio.close()


def test_the_cli_command_is_registered_and_cheap(tmp_path):
    from conftest import run_cli

    result = run_cli("studio", "--help")
    assert "--host" in result.output and "--port" in result.output and "127.0.0.1" in result.output
