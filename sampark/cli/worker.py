"""``sampark worker``: an RQ worker with the scheduler, on the project's queues."""

from __future__ import annotations

import multiprocessing
import os

import click

from sampark.cli import load_settings

#: Queues in the order a worker serves them (the workflow first: people are waiting).
DEFAULT_QUEUES = ("workflow", "calls", "sms", "default")
SWEEP_INTERVAL_S = 60


def _run_cron(redis_url: str | None, queue_name: str) -> None:
    """The cron process: enqueue the sweeper every minute (survives a Redis flush)."""
    from rq.cron import CronScheduler

    from sampark.runtime import process_runtime
    from workflows.jobs import sweep

    runtime = process_runtime()
    cron = CronScheduler(connection=runtime.redis)
    cron.register(sweep, queue_name=queue_name, interval=SWEEP_INTERVAL_S, job_timeout=120)
    cron.start()


@click.command("worker")
@click.option(
    "--queues",
    default=",".join(DEFAULT_QUEUES),
    show_default=True,
    help="Comma-separated queue names (the SAMPARK_QUEUE_PREFIX is added).",
)
@click.option("--simple", is_flag=True, help="Run jobs in the worker process (no fork per job).")
@click.option("--burst", is_flag=True, help="Quit when the queues are empty.")
@click.option("--no-cron", is_flag=True, help="Do not start the every-minute sweeper.")
def worker_cmd(queues: str, simple: bool, burst: bool, no_cron: bool) -> None:
    """Run an RQ worker (with the scheduler for timers and retries) and the sweeper's cron."""
    from rq import SimpleWorker, Worker

    from sampark.logs import configure_logging
    from sampark.runtime import Runtime, install_process_runtime

    settings = load_settings()
    if settings.uses_embedded_redis:
        raise click.UsageError("REDIS_URL is not set: a worker needs a real Redis server")
    configure_logging("INFO")
    runtime = Runtime.from_settings(settings)
    install_process_runtime(runtime)
    names = [n.strip() for n in queues.split(",") if n.strip()]
    rq_queues = [runtime.queue(n) for n in names]
    cron = None
    if not no_cron and not burst:
        cron = multiprocessing.get_context("spawn").Process(
            target=_run_cron,
            args=(settings.redis_url, runtime.queue("workflow").name),
            name="sampark-cron",
            daemon=True,
        )
        cron.start()
    worker_class = SimpleWorker if simple else Worker
    worker = worker_class(rq_queues, connection=runtime.redis, name=f"sampark-{os.getpid()}")
    click.echo(f"sampark worker {worker.name} on {', '.join(q.name for q in rq_queues)}")
    try:
        worker.work(with_scheduler=True, burst=burst)
    finally:
        if cron is not None and cron.is_alive():
            cron.terminate()


COMMANDS = [worker_cmd]
