"""``sampark simulate``: scripted patient journeys through the local Twilio stand-in."""

from __future__ import annotations

import json
import sys

import click

from sampark.cli import load_settings


@click.command("simulate")
@click.option("--patients", "-n", default=20, show_default=True, type=int)
@click.option("--real-time", is_flag=True, help="Run the stand-in on the real clock.")
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def simulate_cmd(patients: int, real_time: bool, seed: int, as_json: bool) -> None:
    """Run N patient journeys (a mix of outcomes) and print what became of them."""
    from ops.simulate import run_simulation
    from sampark.app import create_app

    settings = load_settings()
    progress = None if as_json else click.progressbar(length=patients, label="patients")
    if progress is not None:
        progress.__enter__()
    try:
        summary = run_simulation(
            settings,
            patients=patients,
            real_time=real_time,
            seed=seed,
            on_progress=(lambda done: progress.update(done - progress.pos)) if progress else None,
            app_factory=create_app,
        )
    finally:
        if progress is not None:
            progress.__exit__(None, None, None)
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        click.echo(summary.text())
    sys.exit(0 if summary.lost == 0 else 1)


COMMANDS = [simulate_cmd]
