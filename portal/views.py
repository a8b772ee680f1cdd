"""The doctors' portal (``/portal``): one blueprint; its routes live in the modules below."""

from portal import auth, consultations, prescribing, recordings  # noqa: F401  (add routes)
from portal.blueprint import bp

__all__ = ["bp"]
