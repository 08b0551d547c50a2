"""`artgan studio` in a real browser: Playwright drives headless Chromium (Debian's `chromium`
package, never a downloaded one) against a studio on a free local port.

Skipped, with the reason, where Playwright or Chromium is missing (`.ci/run` installs both).
``ARTGAN_CHROMIUM`` names the browser executable if it is not on the PATH as `chromium`.
Every request the page makes is checked: none may leave the studio's own address.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest

PHOTO = Path(__file__).parent / "data" / "reference_photo.png"  # 80×64 RGB


def _chromium() -> str | None:
    named = os.environ.get("ARTGAN_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    return next((found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))), None)


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    from artgan.studio.server import Studio

    running = Studio(port=0, out=tmp_path_factory.mktemp("studio") / "results", device="cpu").start()
    yield running
    running.close()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
    executable = _chromium()
    if executable is None:
        pytest.skip("Chromium is not installed (apt-get install chromium), or ARTGAN_CHROMIUM names no file")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, studio):
    """A fresh tab on the studio that records (and blocks) any request to another address."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    tab = context.new_page()
    elsewhere: list[str] = []

    def guard(route):
        if route.request.url.startswith(studio.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    tab.route("**/*", guard)
    tab.goto(studio.url)
    tab.wait_for_selector("#tabs button")
    yield tab
    context.close()
    assert elsewhere == [], f"the page asked for things outside the studio: {elsewhere}"


def _drop(page, name: str, data: bytes, mime: str) -> None:
    """Drag a file onto the drop zone, as a user would from a file manager."""
    page.evaluate(
        """([name, bytes, mime]) => {
            const file = new File([new Uint8Array(bytes)], name, {type: mime});
            const transfer = new DataTransfer();
            transfer.items.add(file);
            for (const type of ["dragover", "drop"]) {
                const event = new DragEvent(type, {dataTransfer: transfer, bubbles: true, cancelable: true});
                document.getElementById("drop").dispatchEvent(event);
            }
        }""",
        [name, list(data), mime],
    )


def _size_of(page, url: str) -> tuple[int, int]:
    from PIL import Image

    response = page.request.get(url)
    assert response.ok
    return Image.open(io.BytesIO(response.body())).size


def test_a_dropped_photo_is_stylized_at_its_own_size(page):
    page.click("#tabs button[data-verb='stylize']")
    page.select_option("#model", "cyclegan.vangogh")
    _drop(page, "photo.png", PHOTO.read_bytes(), "image/png")
    page.wait_for_selector("#upload-info:has-text('80×64')")
    page.fill("#opt-strength", "0.8")
    page.click("#run")
    page.wait_for_selector("#meta:not([hidden])")
    assert page.locator(".compare img").count() == 2  # after, and before on top of it
    link = page.locator("#downloads a").first
    assert link.get_attribute("download").endswith("photo_vangogh.png")
    assert _size_of(page, link.evaluate("a => a.href")) == (80, 64)
    command = page.inner_text("#command")
    assert command.startswith("artgan run cyclegan.vangogh stylize photo.png --strength 0.8 --seed ")
    assert page.locator("#cards li").count() >= 1
    assert page.locator("#error").is_hidden()


def test_a_tileable_texture_is_generated_and_previewed_tiled(page):
    page.click("#tabs button[data-verb='generate']")
    page.select_option("#model", "pattern.textures")
    page.select_option("#opt-label", "brick")
    page.check("#opt-tileable")
    page.fill("#opt-size", "64")
    page.click("#new-seed")
    assert page.input_value("#seed").isdigit()
    page.click("#run")
    page.wait_for_selector("#meta:not([hidden])")
    assert page.locator(".tiles img").count() == 9
    assert _size_of(page, page.locator("#downloads a").first.evaluate("a => a.href")) == (64, 64)
    command = page.inner_text("#command")
    assert "--tileable" in command and "--label brick" in command and "--size 64" in command


def test_a_bad_upload_shows_the_command_lines_error(page):
    page.click("#tabs button[data-verb='stylize']")
    page.set_input_files("#file", files=[{"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"not a picture at all"}])
    page.wait_for_selector("#error:not([hidden])")
    assert page.inner_text("#error") == "notes.jpg: not an image file, or a format Pillow cannot read"
    page.click("#run")  # and running without a picture says what to do
    assert "Drop a picture first" in page.inner_text("#error")
