"""WSGI entry point: ``gunicorn wsgi:app``.

Settings that are malformed, or that ``SAMPARK_PRODUCTION`` refuses, are printed one
line each on stderr (no traceback) and the worker exits with gunicorn's "app failed to
load" code, so that gunicorn stops instead of starting workers that fail the same way.
"""

import sys

from core.settings import SettingsError
from sampark.app import create_app

#: gunicorn's ``Arbiter.APP_LOAD_ERROR``: the arbiter halts rather than respawn the worker.
APP_LOAD_ERROR = 4

try:
    app = create_app()
except SettingsError as exc:
    for line in str(exc).splitlines():
        print(f"sampark: {line}", file=sys.stderr, flush=True)
    sys.exit(APP_LOAD_ERROR)
