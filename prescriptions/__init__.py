"""Prescriptions: formulary, medicine policy, issuing (immutable), read-aloud and follow-up.

Importing the package installs the ORM guard that keeps issued prescriptions unchanged.
"""

from prescriptions import guard as _guard

_guard.install()
