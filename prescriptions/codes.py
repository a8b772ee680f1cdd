"""Short codes that people read aloud and type on a keypad without confusion."""

from __future__ import annotations

import secrets

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from models import Prescription

#: No 0/O, 1/I/L, or U/V (misheard on a phone line).
ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
CODE_LENGTH = 6
#: A phone keypad: each letter is keyed by the digit it is printed on; digits are themselves.
KEYPAD: dict[str, str] = {
    letter: key
    for key, letters in {
        "2": "ABC",
        "3": "DEF",
        "4": "GHI",
        "5": "JKL",
        "6": "MNO",
        "7": "PQRS",
        "8": "TUV",
        "9": "WXYZ",
    }.items()
    for letter in letters
}


def new_code(length: int = CODE_LENGTH) -> str:
    """A random code from the unambiguous alphabet."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalize_code(raw: str) -> str:
    """A code as typed (any case, with spaces or dashes) in canonical form."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def keypad_code(code: str) -> str:
    """The keys that type ``code`` on a phone: ``"K7M2PX"`` -> ``"576279"``."""
    return "".join(KEYPAD.get(ch, ch) for ch in normalize_code(code))


def unused_prescription_code(session: Session, attempts: int = 20) -> str:
    """A code no stored prescription uses yet (the unique constraint is the last word)."""
    for _ in range(attempts):
        code = new_code()
        if not session.scalar(select(exists().where(Prescription.code == code))):
            return code
    raise RuntimeError("could not find an unused prescription code")
