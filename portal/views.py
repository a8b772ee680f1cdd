"""The doctors' portal (``/portal``): one blueprint; its routes live in the modules below."""

import portal.anm  # the ANM's workspace (routes)
import portal.anm_dispense
import portal.anm_readaloud  # noqa: F401  (binds "portal", like the two above)
from portal import auth, consultations, prescribing, recordings  # noqa: F401  (add routes)
from portal import admin_actions, admin_staff  # noqa: F401  (staff administration)
from portal import district, report  # noqa: F401  (the district dashboard, the monthly report)
from portal.blueprint import bp

__all__ = ["bp"]
