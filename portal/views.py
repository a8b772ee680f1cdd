"""The doctors' portal (``/portal``): one blueprint; its routes live in the modules below."""

from portal import auth, consultations, prescribing  # noqa: F401  (they add their routes)
from portal.blueprint import bp

__all__ = ["bp"]
