"""The consultation after the intake: RQ jobs drive the ANM's call, a specialist's offer,
the conference and the prescription's request on the locked row (map: ``README.md``)."""
