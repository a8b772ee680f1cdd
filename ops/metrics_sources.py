"""What ``/metrics`` reads at each scrape: PostgreSQL, Redis and this host's fallback.

Nothing here lives in process memory, so every web host reports the same figures
(the fallback's records are on each host's disk: sum them over hosts). A source that
cannot be read leaves its metrics out and sets ``sampark_metrics_source_up`` to 0.
The sweeper adds its counts to a Redis hash (:func:`record_sweep`), so a re-drive on any
worker host is counted once, here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from rq import Queue, Worker
from sqlalchemy import and_, func, or_, select

from core import clock, fallback
from core.runtime import Runtime
from models import CallLeg, Consultation, ConsultationState, District, SmsMessage
from models.telephony import SmsStatus
from workflows.ownership import DEADLINE_STATES
from workflows.people import doctor_pool

log = logging.getLogger(__name__)

#: The queues ``sampark worker`` serves (any other queue of this prefix found in Redis too).
QUEUES = ("workflow", "calls", "sms", "default")
#: A consultation past its deadline this long was missed by the sweeper (it runs each minute).
STUCK_AFTER_S = 180
#: The Redis hash (after ``<SAMPARK_QUEUE_PREFIX>:``) where the sweeper adds its counts.
SWEEPER_KEY = "metrics:sweeper"


def record_sweep(runtime: Runtime, redriven: int, failed: int) -> None:
    """Add one sweeper pass to the shared counts (never raises: metrics must not stop a sweep)."""
    key = f"{runtime.settings.queue_prefix}:{SWEEPER_KEY}"
    try:
        pipe = runtime.redis.pipeline()
        pipe.hincrby(key, "passes", 1)
        pipe.hincrby(key, "redriven", redriven)
        pipe.hincrby(key, "failed", failed)
        pipe.hset(key, "last_pass", f"{time.time():.3f}")
        pipe.execute()
    except Exception:
        log.warning("could not record the sweep's counts", exc_info=True)


Section = Callable[[Runtime], list[Metric]]


class SamparkCollector(Collector):
    """The database's, Redis's and this host's fallback figures, read at each scrape."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "sampark_metrics_source_up",
            "1 if the source was read in this scrape, 0 if it failed (its metrics left out).",
            labels=["source"],
        )
        sections: list[tuple[str, Section]] = [
            ("database", _database),
            ("redis", _redis),
            ("fallback", _fallback),
        ]
        for source, section in sections:
            try:
                families = section(self.runtime)
            except Exception as exc:  # one line a scrape: the outage is logged elsewhere
                reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                log.warning("metrics: could not read the %s (%s)", source, reason[:200])
                up.add_metric([source], 0)
                continue
            up.add_metric([source], 1)
            yield from families
        yield up


def _gauge(
    name: str, doc: str, labels: list[str], rows: Iterable[tuple[Iterable[str], float]]
) -> Metric:
    family = GaugeMetricFamily(name, doc, labels=labels)
    for values, value in rows:
        family.add_metric(list(values), value)
    return family


def _database(runtime: Runtime) -> list[Metric]:
    now = clock.now()
    stuck_before = now - timedelta(seconds=STUCK_AFTER_S)
    started = func.coalesce(Consultation.intake_completed_at, Consultation.created_at)
    with runtime.db.session() as session:
        states = dict(
            session.execute(
                select(Consultation.state, func.count()).group_by(Consultation.state)
            ).all()
        )
        stuck = dict(
            session.execute(
                select(Consultation.state, func.count())
                .where(
                    Consultation.state.in_(DEADLINE_STATES),
                    or_(
                        Consultation.state_deadline_at <= stuck_before,
                        and_(Consultation.state_deadline_at.is_(None), started <= stuck_before),
                    ),
                )
                .group_by(Consultation.state)
            ).all()
        )
        legs = session.execute(
            select(CallLeg.role, CallLeg.status, func.count()).group_by(
                CallLeg.role, CallLeg.status
            )
        ).all()
        sms = dict(
            session.execute(
                select(SmsMessage.status, func.count()).group_by(SmsMessage.status)
            ).all()
        )
        doctors, district_of = doctor_pool(session, now)
        codes = dict(session.execute(select(District.id, District.code)).all())
    on_duty = {code: 0 for code in codes.values()}
    for doctor in doctors:
        if doctor.on_duty and doctor.active and doctor.available:
            code = codes.get(district_of.get(doctor.id, -1), "")
            on_duty[code] = on_duty.get(code, 0) + 1
    return [
        _gauge(
            "sampark_consultations",
            "Consultations by state (the database's count, every consultation ever made).",
            ["state"],
            (([s.value], states.get(s, 0)) for s in ConsultationState),
        ),
        _gauge(
            "sampark_consultations_stuck",
            f"Open consultations past their deadline by more than {STUCK_AFTER_S} s "
            "(the sweeper re-drives each minute: these it did not move).",
            ["state"],
            (([s.value], stuck.get(s, 0)) for s in sorted(DEADLINE_STATES)),
        ),
        _gauge(
            "sampark_call_legs",
            "Call legs by role and status (ours before the request, then Twilio's).",
            ["role", "status"],
            (([str(r), str(st)], n) for r, st, n in legs),
        ),
        _gauge(
            "sampark_sms_messages",
            "SMS by status (ours before the request, then Twilio's).",
            ["status"],
            (([s.value], sms.get(s.value, 0)) for s in SmsStatus),
        ),
        _gauge(
            "sampark_doctors_on_duty",
            "Doctors active, available and inside a roster slot now, by district code.",
            ["district"],
            (([code], n) for code, n in sorted(on_duty.items())),
        ),
    ]


def _redis(runtime: Runtime) -> list[Metric]:
    prefix = f"{runtime.settings.queue_prefix}-"
    conn = runtime.redis
    names = {f"{prefix}{name}" for name in QUEUES}
    names |= {q.name for q in Queue.all(connection=conn) if q.name.startswith(prefix)}
    depth, age, failed, scheduled = [], [], [], []
    now = datetime.now(UTC)
    for name in sorted(names):
        queue = Queue(name, connection=conn)
        label = [name.removeprefix(prefix)]
        depth.append((label, queue.count))
        age.append((label, _oldest_age(queue, now)))
        failed.append((label, queue.failed_job_registry.count))
        scheduled.append((label, queue.scheduled_job_registry.count))
    stored = conn.hgetall(f"{runtime.settings.queue_prefix}:{SWEEPER_KEY}")
    sweeps = {_text(k): float(v) for k, v in stored.items()}
    families: list[Metric] = [
        _gauge("sampark_rq_queue_depth", "Jobs waiting in each RQ queue.", ["queue"], depth),
        _gauge(
            "sampark_rq_oldest_job_age_seconds",
            "How long the oldest job waiting in each RQ queue has waited (0: none waits).",
            ["queue"],
            age,
        ),
        _gauge(
            "sampark_rq_jobs_failed", "Jobs in each queue's failed registry.", ["queue"], failed
        ),
        _gauge(
            "sampark_rq_jobs_scheduled",
            "Jobs scheduled for later (the workflow's timers) in each queue.",
            ["queue"],
            scheduled,
        ),
        _gauge(
            "sampark_rq_workers",
            "RQ workers alive (all queues).",
            [],
            [([], Worker.count(connection=conn))],
        ),
    ]
    for name, field, doc in (
        ("sampark_sweeper_passes", "passes", "Sweeper passes (every host's, from Redis)."),
        (
            "sampark_sweeper_redrives",
            "redriven",
            "Consultations the sweeper re-drove past their deadline.",
        ),
        ("sampark_sweeper_redrive_failures", "failed", "Re-drives that raised (logged)."),
    ):
        counter = CounterMetricFamily(name, doc)
        counter.add_metric([], sweeps.get(field, 0.0))
        families.append(counter)
    if "last_pass" in sweeps:
        families.append(
            _gauge(
                "sampark_sweeper_last_pass_timestamp_seconds",
                "When the sweeper last finished a pass (Unix time).",
                [],
                [([], sweeps["last_pass"])],
            )
        )
    return families


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _oldest_age(queue: Queue, now: datetime) -> float:
    ids = queue.get_job_ids(0, 1)
    job = queue.fetch_job(ids[0]) if ids else None
    if job is None or job.enqueued_at is None:
        return 0.0
    enqueued = job.enqueued_at
    if enqueued.tzinfo is None:
        enqueued = enqueued.replace(tzinfo=UTC)
    return max(0.0, (now - enqueued).total_seconds())


def _fallback(runtime: Runtime) -> list[Metric]:
    summary = fallback.summary(runtime.settings)
    now = datetime.now(UTC)
    counts, ages = [], []
    for state in ("pending", "quarantined"):
        part = summary[state]
        counts.append(([state], part["count"]))
        oldest = part["oldest"]
        ages.append(
            ([state], (now - datetime.fromisoformat(oldest)).total_seconds() if oldest else 0.0)
        )
    return [
        _gauge(
            "sampark_fallback_records",
            "Failed webhooks kept on this host's disk: pending replay, or quarantined for "
            "the operator (sampark fallback list). Per host: sum over hosts.",
            ["state"],
            counts,
        ),
        _gauge(
            "sampark_fallback_oldest_age_seconds",
            "Age of the oldest record waiting on this host (0: none).",
            ["state"],
            ages,
        ),
    ]
