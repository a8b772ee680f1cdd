"""gunicorn's settings for Sampark's web app (webhooks, portal): ``gunicorn wsgi:app``.

gunicorn reads this file from the working directory by itself (or pass ``-c``).

- **Sync workers, two per core.** A webhook is short and waits on PostgreSQL about as
  long as it computes (the durable commit of each answer), so two single-threaded
  workers per core keep the cores busy; threads would add GIL hand-offs to every
  database wait, and more processes only add contention. Measured in
  ``bench/ivr/NOTES.md``: 4 sync workers on 2 cores carry about half as many IVR steps
  as bare ``VoiceResponse`` requests; 5 workers, or 2 workers of 4 threads, fewer.
- Sync workers expect a buffering proxy in front (nginx terminating TLS for Twilio):
  slow clients are the proxy's problem, not a worker's. Set ``TRUST_PROXY`` so that
  signatures are checked against the public URL (``telephony/webhooks.py``).
- ``timeout`` is what Twilio waits for a webhook (15 s): past it Twilio has given up on
  the request (and plays the number's fallback), so a worker silent that long is hung;
  it is killed and restarted, and the call is re-driven from the database.

``WEB_CONCURRENCY`` overrides the worker count, ``SAMPARK_BIND`` the address.

**Metrics across workers** (``/metrics``, ``ops/metrics.py``): each worker is a process
of its own, so the request-latency histogram of one worker is not the server's. Set
``PROMETHEUS_MULTIPROC_DIR`` to a directory of its own (e.g. ``/run/sampark/metrics``,
writable by the service user) *in the environment* gunicorn starts with: every worker
then writes its figures there and each scrape adds up all of them. The hooks below
empty the directory when gunicorn starts and retire a dead worker's files. Without it,
the latency figures are those of whichever worker answered the scrape.
"""

import multiprocessing
import os
from pathlib import Path
from typing import Any

from prometheus_client import multiprocess

bind = os.environ.get("SAMPARK_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
worker_class = "sync"
timeout = 15
graceful_timeout = 20
backlog = 2048
max_requests = 200_000  # a slow leak cannot grow forever; jitter keeps restarts apart
max_requests_jitter = 20_000


def on_starting(server: Any) -> None:
    """Start with an empty multiprocess directory: no figures of a previous run."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """A worker's live gauges go with it (its counters and histograms stay counted)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
