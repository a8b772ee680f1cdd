"""``sampark worker``: an RQ worker with the scheduler, on the project's queues."""

from __future__ import annotations

import gc
import importlib
import logging
import multiprocessing
import os
from typing import TYPE_CHECKING, Any

import click

from sampark.cli import load_settings

if TYPE_CHECKING:
    from rq.worker import BaseWorker

    from core.runtime import Runtime

#: Queues in the order a worker serves them (the workflow first: people are waiting).
DEFAULT_QUEUES = ("workflow", "calls", "sms", "default")
SWEEP_INTERVAL_S = 60
#: How long an exiting worker waits for its leg sender (a send times out in 3 + 10 s).
SEND_DRAIN_S = 60.0
log = logging.getLogger(__name__)
#: Modules of the functions the queues carry (which import the rest lazily).
JOB_MODULES = (
    "workflows.jobs",
    "workflows.steps",
    "outbound.legs",
    "outbound.calls",
    "workflows.dispatch",
    "ops.sweeper",
    "outbound.sms",
    "ivr.callback",
    "prescriptions.calls",
)


def warm_up(runtime: Runtime) -> None:
    """Import what jobs use and build the Twilio client before the first job.

    A forked work horse then inherits all of it instead of importing twilio-python and
    the workflow for every job; a simple worker's first job is not slow either. No
    connection is opened here (a forked child must not share one with its parent).
    """
    from sqlalchemy.orm import configure_mappers

    from outbound.calls import gateway

    for name in JOB_MODULES:
        importlib.import_module(name)
    configure_mappers()
    gateway(runtime).preload()
    try:  # the dialect learns the server once; the connection is closed before any fork
        runtime.db.ping()
    except Exception as exc:  # jobs will say what is wrong; the sweeper catches up
        log.warning("database not reachable at worker start", extra={"error": repr(exc)})
    runtime.db.dispose()
    gc.collect()
    gc.freeze()  # what is loaded now lives as long as the worker: full collections skip it


def _run_cron(redis_url: str | None, queue_name: str, interval_s: int = SWEEP_INTERVAL_S) -> None:
    """The cron process: enqueue the sweeper every ``interval_s`` (survives a Redis flush)."""
    from rq.cron import CronScheduler

    from core.runtime import process_runtime
    from ops.jobs import sweep

    runtime = process_runtime()
    cron = CronScheduler(connection=runtime.redis)
    cron.register(sweep, queue_name=queue_name, interval=interval_s, job_timeout=120)
    cron.start()


def _rss_mb() -> float:
    """This process's resident memory now (MB); its peak where /proc is missing."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_class(fork: bool, max_memory_mb: int, send_threads: int = 0) -> type[BaseWorker]:
    """RQ's forking ``Worker``, or a ``SimpleWorker`` that stops when it grows too big.

    A simple worker runs each job in its own process: the database pool, the Twilio
    connection, compiled statements and caches serve every job (a forked work horse
    starts cold each time and pays a new database connection). Its guards: every job
    has a timeout (RQ's SIGALRM death penalty), and past ``max_memory_mb`` of resident
    memory it finishes the job in hand and stops, for the supervisor to start it again.
    With ``send_threads``, the claimed legs' Twilio requests are sent by a leg sender of
    that many threads in a process of its own (``outbound/sender_process.py``), drained
    before ``work()`` returns or raises (warm shutdown, ``max_jobs``, burst end, memory
    recycle, an error).
    """
    from rq import SimpleWorker, Worker

    if fork:
        return Worker

    class RecyclingWorker(SimpleWorker):
        def work(self, *args: Any, **kwargs: Any) -> bool:
            from core.runtime import process_runtime
            from outbound import sender as leg_sender
            from outbound.sender_process import SenderProcess

            pool = SenderProcess(process_runtime(), send_threads) if send_threads else None
            leg_sender.install(pool)
            try:
                return bool(super().work(*args, **kwargs))
            finally:
                leg_sender.install(None)
                if pool is not None and not pool.close(timeout=SEND_DRAIN_S):
                    self.log.error("Worker %s: legs still being sent at exit", self.name)

        def execute_job(self, job: Any, queue: Any) -> None:
            super().execute_job(job, queue)
            rss = _rss_mb() if max_memory_mb else 0.0
            if rss > max_memory_mb:
                self.log.warning(
                    "Worker %s: %.0f MB resident, over %d MB: stopping (restart it)",
                    self.name,
                    rss,
                    max_memory_mb,
                )
                self._stop_requested = True

    return RecyclingWorker


@click.command("worker")
@click.option(
    "--queues",
    default=",".join(DEFAULT_QUEUES),
    show_default=True,
    help="Comma-separated queue names (the SAMPARK_QUEUE_PREFIX is added).",
)
@click.option(
    "--simple/--fork",
    default=True,
    show_default=True,
    help="Run jobs in the worker process (default), or fork a work horse per job.",
)
@click.option(
    "--max-memory-mb",
    type=click.IntRange(min=0),
    default=1024,
    show_default=True,
    help="Simple worker: stop after a job that leaves it above this resident size (0: never).",
)
@click.option(
    "--send-threads",
    type=click.IntRange(min=0, max=64),
    help="Simple worker: threads that send claimed call legs to Twilio off the job, in a "
    "process of their own (0: inline in the job) [default: SAMPARK_SEND_THREADS, else 4].",
)
@click.option("--max-jobs", type=click.IntRange(min=1), help="Stop after this many jobs.")
@click.option("--burst", is_flag=True, help="Quit when the queues are empty.")
@click.option("--no-cron", is_flag=True, help="Do not start the every-minute sweeper.")
@click.option(
    "--sweep-every",
    type=click.IntRange(min=5, max=3600),
    default=SWEEP_INTERVAL_S,
    show_default=True,
    envvar="SAMPARK_SWEEP_INTERVAL_S",
    help="Seconds between the sweeper's passes (SAMPARK_SWEEP_INTERVAL_S); shorter only for "
    "test runs.",
)
def worker_cmd(
    queues: str,
    simple: bool,
    max_memory_mb: int,
    send_threads: int | None,
    max_jobs: int | None,
    burst: bool,
    no_cron: bool,
    sweep_every: int,
) -> None:
    """Run an RQ worker (with the scheduler for timers and retries) and the sweeper's cron.

    Run it under a supervisor that restarts it (systemd ``Restart=always``, a container
    restart policy): it stops on ``--max-jobs``, ``--max-memory-mb`` or a lost Redis.
    A simple worker sends the call legs its jobs claim on ``--send-threads`` threads
    (``SAMPARK_SEND_THREADS``, 4) of a child process, so a job does not wait on Twilio
    and does not share the interpreter with the sends; it waits for them before it exits
    (up to a minute; a leg never sent ends as lost at its deadline).
    """
    from core.logs import configure_logging
    from core.runtime import Runtime, install_process_runtime
    from sampark.wiring import wire

    settings = load_settings()
    settings.check_production()  # every development default at once (sampark.cli.errors)
    if settings.uses_embedded_redis:
        raise click.UsageError("REDIS_URL is not set: a worker needs a real Redis server")
    configure_logging("INFO")
    wire()
    runtime = Runtime.from_settings(settings)
    runtime.redis.ping()  # an unreachable Redis or a bad db index: one line (sampark.cli.errors)
    runtime.db.ping()  # an unreachable database: one line, exit 3; the supervisor retries
    install_process_runtime(runtime)
    names = [n.strip() for n in queues.split(",") if n.strip()]
    rq_queues = [runtime.queue(n) for n in names]
    cron = None
    if not no_cron and not burst:
        cron = multiprocessing.get_context("spawn").Process(
            target=_run_cron,
            args=(settings.redis_url, runtime.queue("workflow").name, sweep_every),
            name="sampark-cron",
            daemon=True,
        )
        cron.start()
    warm_up(runtime)
    threads = settings.send_threads if send_threads is None else send_threads
    cls = worker_class(not simple, max_memory_mb, threads if simple else 0)
    worker = cls(rq_queues, connection=runtime.redis, name=f"sampark-{os.getpid()}")
    kind = "simple" if simple else "forking"
    sending = f"; legs sent on {threads} threads of a child process" if simple and threads else ""
    click.echo(
        f"sampark worker {worker.name} ({kind}) on {', '.join(q.name for q in rq_queues)}{sending}"
    )
    try:
        worker.work(with_scheduler=True, burst=burst, max_jobs=max_jobs)
    finally:
        if cron is not None and cron.is_alive():
            cron.terminate()


COMMANDS = [worker_cmd]
