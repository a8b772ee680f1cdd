"""The portal (``/portal``): one blueprint; its routes live in the modules imported here."""

from portal import (  # noqa: F401  (each module adds its routes to the blueprint)
    admin_actions,
    admin_staff,
    anm,
    anm_dispense,
    anm_readaloud,
    auth,
    consultations,
    district,
    prescribing,
    recordings,
    report,
)
from portal.blueprint import bp

__all__ = ["bp"]
