"""Where the browser tests keep their screenshots.

``docs/screenshots/`` only when asked (``SAMPARK_SCREENSHOTS=1``, ``make screenshots``): a
plain test run must not rewrite the documentation (the pages show today's dates). Otherwise
a folder under the system's temporary directory, so the tests still take every shot.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def screenshot_dir() -> Path:
    """``docs/screenshots`` when ``SAMPARK_SCREENSHOTS=1``, else a scratch folder."""
    if os.environ.get("SAMPARK_SCREENSHOTS") == "1":
        return DOCS
    scratch = Path(tempfile.gettempdir()) / "sampark-screenshots"
    scratch.mkdir(exist_ok=True)
    return scratch
