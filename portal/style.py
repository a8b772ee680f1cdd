"""The portal's one style sheet: every ``portal/css/*.css`` file, inlined and pinned by hash.

Inlined to save a round trip on a slow link; pinned by its SHA-256 in the
Content-Security-Policy, so no other style can run. Each area keeps its rules in a file
of its own (``base.css`` first, then the others by name).
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

CSS_DIR = Path(__file__).with_name("css")


def stylesheet() -> tuple[str, str]:
    """(the style sheet, its base64 SHA-256 for ``style-src``)."""
    files = sorted(CSS_DIR.glob("*.css"), key=lambda p: (p.name != "base.css", p.name))
    css = "".join(line.strip() for path in files for line in path.read_text("utf-8").splitlines())
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return css, digest
