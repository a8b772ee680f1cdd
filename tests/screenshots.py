"""Where the browser tests keep their screenshots.

``docs/screenshots/`` only when asked (``SAMPARK_SCREENSHOTS=1``, ``make screenshots``): a
plain test run must not rewrite the documentation (the pages show today's dates). Otherwise
a folder under the system's temporary directory, so the tests still take every shot.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from playwright.sync_api import Page

DOCS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def screenshot_dir() -> Path:
    """``docs/screenshots`` when ``SAMPARK_SCREENSHOTS=1``, else a scratch folder."""
    if os.environ.get("SAMPARK_SCREENSHOTS") == "1":
        return DOCS
    scratch = Path(tempfile.gettempdir()) / "sampark-screenshots"
    scratch.mkdir(exist_ok=True)
    return scratch


def fits(page: Page) -> None:
    """Nothing on the page scrolls sideways (the phones ANMs and doctors carry)."""
    size = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert size[0] <= size[1], f"{page.url} scrolls sideways: {size}"


def shot(page: Page, name: str) -> None:
    """Check the page fits, then keep a screenshot of the whole of it as ``<name>.png``."""
    fits(page)
    folder = screenshot_dir()
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
