"""The consultation workflow on RQ: the ANM, the specialist, the conference, the call-backs.

How it fits together:

- ``models.consultation.TRANSITIONS`` declares the states; ``Consultation.transition``
  is the only way to change one, and stores each move with its reason.
- ``handoff.hand_off`` (from the IVR) enqueues ``jobs.advance(id, "intake_complete")``.
- ``engine.run_step`` runs one step on the consultation's locked row (``SELECT ... FOR
  UPDATE``); ``steps`` routes events to ``anm`` (call, menu 1/2/3/9, skip), ``offers``
  (doctor offers, missed offers), ``dispatch`` (the doctor queue in priority order)
  and ``bridge`` (the conference, patient call-backs and retries, the end). A call-back
  is held while the patient is still on the intake call (hearing the offer to stay on
  the line, or the goodbye: the line would be busy) and goes out when the IVR reports
  the call's end (``intake_call_ended``) or at the bridge's deadline.
  Steps are level-triggered on what the database says, so duplicated, late or
  reordered callbacks change nothing twice.
- Side effects run after the commit (``effects``): legs are placed at most once per
  purpose (``legs``; a worker's own step claims its new legs in the step's transaction
  and places them right after it), redirects/hang-ups/SMS are jobs retried with backoff.
- Every waiting state stores ``state_deadline_at`` and arms an RQ timer; the
  ``sweeper`` (cron, every minute) re-drives whatever is past its deadline, so
  nothing depends on Redis keeping a timer.
- ``views`` holds Twilio's webhooks under ``/calls``; ``router`` is the pure
  TaskRouter-like choice of specialty, priority, ANMs and doctors.
- ``simulate`` runs scripted journeys through the Twilio stand-in on a virtual clock.
"""
