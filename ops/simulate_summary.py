"""What ``sampark simulate`` reports: every patient in one outcome, plus overlapping counts."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from core.runtime import Runtime
from core.timeutil import as_utc
from models import (
    CallLeg,
    Consultation,
    ConsultationState,
    IntakeAnswer,
    LegRole,
    Prescription,
    SmsMessage,
    SmsStatus,
)
from ops.simulate_data import Journey

S = ConsultationState

#: A consultation in one of these owes the patient nothing more (the scripted doctor
#: prescribes for those awaiting a prescription).
DONE = frozenset(
    {
        S.AWAITING_PRESCRIPTION,
        S.PRESCRIBED,
        S.CLOSED,
        S.UNREACHABLE,
        S.CONSENT_REFUSED,
        S.CANCELLED,
    }
)
COMPLETED = frozenset({S.AWAITING_PRESCRIPTION, S.PRESCRIBED, S.CLOSED})
#: The summary's categories, said once (``sampark simulate`` prints them).
EXPLAINED = {
    "outcomes": "each patient in exactly one (they add up to patients): completed = a "
    "doctor joined their consultation and it ended with (or awaits) a prescription; "
    "unreachable = every call-back failed and they were told by SMS; consent_refused; "
    "ended_without_doctor = closed or cancelled without a doctor (e.g. an emergency "
    "sent to hospital, a hang-up followed up); "
    "lost = a consultation still open when nothing more was due, or no consultation "
    "at all for someone who called.",
    "overlapping": "counts that overlap the outcomes and each other: emergencies (a "
    "danger sign), callbacks (consultations that waited for a call-back), "
    "stayed_on_line (pressed 1 to wait in the conference), hung_up (hung up during "
    "the intake), prescribed, by_scenario (what each caller did -> outcome).",
    "region": "the country whose Twilio rules the stand-in applied (null: none); "
    "refused_by_region_rules: requests those rules refused, by rule key (standin/regions.py: "
    "caller-id and toll-free-outbound 21216/32224, alphanumeric and sender 21612, numbers "
    "not ownable, toll-free-inbound dial-ins, two-way-sms inbound SMS dropped, shortened-url "
    "filtered); {} is a run real Twilio would have taken whole.",
}


@dataclass
class Summary:
    """What became of the simulated patients."""

    patients: int
    completed: int
    unreachable: int
    consent_refused: int
    ended_without_doctor: int
    lost: int
    emergencies: int
    callbacks: int
    stayed_on_line: int
    hung_up: int
    duplicated_legs: int
    call_to_doctor_p50_s: float | None
    call_to_doctor_p95_s: float | None
    calls_placed: int
    sms_sent: int
    prescribed: int
    sms_delivered: int
    readout_calls: int
    simulated_seconds: float
    wall_seconds: float
    by_scenario: dict[str, dict[str, int]] = field(default_factory=dict)
    lost_patients: list[dict[str, Any]] = field(default_factory=list)
    region: str | None = None
    refused_by_region_rules: dict[str, int] = field(default_factory=dict)

    @property
    def refused(self) -> int:
        """Requests the region's rules refused, all rules together."""
        return sum(self.refused_by_region_rules.values())

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "explained": EXPLAINED}

    def text(self) -> str:
        def fmt(v: float | None) -> str:
            return "-" if v is None else f"{v / 60:.1f} min"

        return "\n".join(
            [
                f"patients        {self.patients}, each in one of:",
                f"  completed       {self.completed}  (a doctor joined)",
                f"  unreachable     {self.unreachable}  (every call-back failed; told by SMS)",
                f"  consent refused {self.consent_refused}",
                f"  ended, no doctor {self.ended_without_doctor}  (e.g. emergency to hospital)",
                f"  lost            {self.lost}  (open with nothing due, or no consultation)",
                "overlapping counts:",
                f"  emergencies {self.emergencies}, call-backs {self.callbacks}, stayed on "
                f"the line {self.stayed_on_line}, hung up in the IVR {self.hung_up}",
                *(
                    f"  lost: {p['mobile']} ({p['scenario']}): {p['consultations']}"
                    for p in self.lost_patients
                ),
                f"duplicated legs {self.duplicated_legs}",
                f"call to doctor  p50 {fmt(self.call_to_doctor_p50_s)}, "
                f"p95 {fmt(self.call_to_doctor_p95_s)}",
                f"calls placed    {self.calls_placed}, SMS {self.sms_sent}",
                f"prescriptions   {self.prescribed}, SMS delivered {self.sms_delivered}, "
                f"read-aloud calls {self.readout_calls}",
                self._region_line(),
                f"simulated {self.simulated_seconds / 3600:.2f} h in {self.wall_seconds:.1f} s",
            ]
        )

    def _region_line(self) -> str:
        if self.region is None:
            return "region          none (the stand-in applied no country's Twilio rules)"
        by_rule = ", ".join(f"{k} {v}" for k, v in sorted(self.refused_by_region_rules.items()))
        return f"region          {self.region}: {self.refused} requests refused by its rules" + (
            f" ({by_rule})" if by_rule else ""
        )


def summarise(
    runtime: Runtime,
    journeys: list[Journey],
    calls: list[dict[str, Any]],
    *,
    begin: datetime,
    end: datetime,
    wall_seconds: float,
    region: str | None = None,
    refused_by_region_rules: dict[str, int] | None = None,
) -> Summary:
    """The run's summary from the database (``calls``: the stand-in's, as Twilio JSON)."""
    dialled = {j.mobile: begin + timedelta(seconds=j.arrives_after) for j in journeys}
    with runtime.db.session() as s:
        rows = list(s.scalars(select(Consultation).order_by(Consultation.id)))
        legs = list(s.scalars(select(CallLeg)))
        sms = int(s.scalar(select(func.count()).select_from(SmsMessage)) or 0)
        delivered = int(
            s.scalar(select(func.count()).where(SmsMessage.status == SmsStatus.DELIVERED)) or 0
        )
        prescribed = int(
            s.scalar(select(func.count(func.distinct(Prescription.consultation_id)))) or 0
        )
        stayed = int(
            s.scalar(
                select(func.count()).where(
                    IntakeAnswer.question == "stay", IntakeAnswer.value == "yes"
                )
            )
            or 0
        )
        waits = sorted(
            (as_utc(c.doctor_joined_at) - dialled[c.caller_mobile]).total_seconds()
            for c in rows
            if c.state in COMPLETED
            and c.doctor_joined_at is not None
            and c.caller_mobile in dialled
        )
        callbacks = sum(
            1 for c in rows if any(t.to_state is S.CALLBACK_SCHEDULED for t in c.transitions)
        )
        by_mobile: dict[str, list[Consultation]] = {}
        for c in rows:
            by_mobile.setdefault(c.caller_mobile, []).append(c)
        outcomes = {j.mobile: _outcome(by_mobile.get(j.mobile, [])) for j in journeys}
        lost = [
            {
                "mobile": j.mobile,
                "scenario": j.scenario,
                **j.facts,
                "consultations": [
                    (c.id, c.state.value, c.transitions[-1].reason if c.transitions else None)
                    for c in by_mobile.get(j.mobile, [])
                ],
            }
            for j in journeys
            if outcomes[j.mobile] == "lost"
        ]
    by_scenario: dict[str, dict[str, int]] = {}
    for j in journeys:
        row = by_scenario.setdefault(j.scenario, {})
        row[outcomes[j.mobile]] = row.get(outcomes[j.mobile], 0) + 1
    count = list(outcomes.values()).count
    placed = [leg for leg in legs if leg.call_sid]
    ours = [c for c in calls if c["direction"] == "outbound-api"]
    return Summary(
        patients=len(journeys),
        completed=count("completed"),
        unreachable=count("unreachable"),
        consent_refused=count("consent_refused"),
        ended_without_doctor=count("ended_without_doctor"),
        lost=count("lost"),
        emergencies=sum(bool(c.emergency) for c in rows),
        callbacks=callbacks,
        stayed_on_line=stayed,
        hung_up=sum(j.scenario == "hangup" for j in journeys),
        duplicated_legs=len(ours) - len(placed),
        call_to_doctor_p50_s=statistics.median(waits) if waits else None,
        call_to_doctor_p95_s=waits[int(0.95 * (len(waits) - 1))] if waits else None,
        calls_placed=len(placed),
        sms_sent=sms,
        prescribed=prescribed,
        sms_delivered=delivered,
        readout_calls=sum(leg.role is LegRole.READOUT for leg in placed),
        simulated_seconds=(end - begin).total_seconds(),
        wall_seconds=wall_seconds,
        by_scenario=by_scenario,
        lost_patients=lost,
        region=region,
        refused_by_region_rules=dict(refused_by_region_rules or {}),
    )


def _outcome(consultations: list[Consultation]) -> str:
    """One patient's outcome (see ``EXPLAINED``): lost if any consultation is still open."""
    if not consultations or any(c.state not in DONE for c in consultations):
        return "lost"
    last = consultations[-1]
    if last.state is S.UNREACHABLE:
        return "unreachable"
    if last.state is S.CONSENT_REFUSED:
        return "consent_refused"
    if last.state in COMPLETED and any(c.doctor_joined_at is not None for c in consultations):
        return "completed"
    return "ended_without_doctor"
