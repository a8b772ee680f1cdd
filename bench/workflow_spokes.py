"""Spokes with a free ANM each, for ``workflow_bench.py``'s intake jobs.

An ANM takes one call at a time (``outbound.lines.take``: a leg to a staff number with
another leg up ends as BUSY), and the bench's legs stay up for the whole run (nobody
answers; the menu grace is an hour). Hundreds of consultations at one spoke would all
ring its one ANM at once: only the first leg would be placed. A district in its peak
hour has each consultation in flight ringing an ANM who is free, so the bench gives
each consultation a spoke of its own, in blocks shaped like the mini district's
Kishanganj block (spoke A with ANMs of rank 1 and 2, spoke B with one ANM; on duty all
week): the intake job's ANM query reads the same 3 ANMs x 2 roster slots as before.
All of it is inserted in bulk, in the bench's own database.
"""

from __future__ import annotations

from datetime import time

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from models import Block, Hub, NumberKind, Roster, ServiceNumber, Spoke, Staff, StaffRole

ALL_DAY = (time(0, 0), time(23, 59, 59))


def free_spokes(session: Session, district_id: int, n: int) -> tuple[list[int], list[str]]:
    """Create spokes for ``n`` consultations, each ringing an ANM of its own.

    Returns the ``n`` spoke ids (one consultation each) and every new spoke number
    (to give to the stand-in: they are the legs' caller ID).
    """
    hub_id = session.scalar(select(Hub.id).where(Hub.code == "H-DH"))
    pairs = (n + 1) // 2
    block_ids = list(
        session.scalars(
            insert(Block).returning(Block.id, sort_by_parameter_order=True),
            [{"district_id": district_id, "name": f"Bench block {b}"} for b in range(pairs)],
        )
    )
    spoke_rows = [
        {
            "code": f"BW-{i:05d}",
            "short_code": f"9{i:05d}",
            "name": f"HWC Bench {i}",
            "village": f"Bench {i}",
            "block_id": block_ids[i // 2],
            "hub_id": hub_id,
        }
        for i in range(2 * pairs)
    ]
    spoke_ids = list(
        session.scalars(insert(Spoke).returning(Spoke.id, sort_by_parameter_order=True), spoke_rows)
    )
    numbers = [f"+9164563{i:05d}" for i in range(len(spoke_ids))]
    session.execute(
        insert(ServiceNumber),
        [
            {
                "number": num,
                "kind": NumberKind.SPOKE,
                "spoke_id": sid,
                "district_id": district_id,
                "fictional": True,
            }
            for num, sid in zip(numbers, spoke_ids, strict=True)
        ],
    )
    # Spoke A (even) has ANMs of rank 1 and 2, spoke B (odd) one of rank 1.
    anms = [(sid, 1) for sid in spoke_ids] + [(sid, 2) for sid in spoke_ids[::2]]
    staff_ids = list(
        session.scalars(
            insert(Staff).returning(Staff.id, sort_by_parameter_order=True),
            [
                {
                    "code": f"BANM-{k:05d}",
                    "name": f"Bench ANM {k}",
                    "role": StaffRole.ANM,
                    "mobile": f"+919993{k:06d}",
                    "languages": ["hi", "ur"],
                    "district_id": district_id,
                    "spoke_id": sid,
                    "rank": rank,
                    "fictional": True,
                }
                for k, (sid, rank) in enumerate(anms)
            ],
        )
    )
    starts, ends = ALL_DAY
    session.execute(
        insert(Roster),
        [
            {"staff_id": st, "weekday": d, "starts": starts, "ends": ends}
            for st in staff_ids
            for d in range(7)
        ],
    )
    return spoke_ids[:n], numbers
