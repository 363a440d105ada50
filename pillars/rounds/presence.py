"""Proof of presence: a printed code per room and per bed, scanned at the door to record a check.

A code is a salted HMAC (the primitive under ``django.core.signing``, keyed by SECRET_KEY with
its own salt) of the room's or bed's public id, written in ten base-32 characters so that it can
also be typed from the label under the QR when the camera cannot read it. It carries no person
data and cannot be forged or guessed without the server's key (50 bits). Codes are resolved by
recomputing them for the rooms and beds the user can see: a unit has tens of them, so this costs
microseconds and needs no table of codes.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable

from django.utils.crypto import constant_time_compare, salted_hmac

from pillars.people.models import Bed, Room

SALT = "pillars.rounds.presence"
LENGTH = 10
_ALPHABET = re.compile(r"[^A-Z2-7]")


def _raw(kind: str, public_id: object) -> str:
    digest = salted_hmac(SALT, f"{kind}:{public_id}", algorithm="sha256").digest()
    return base64.b32encode(digest).decode()[:LENGTH]


def code_for(place: Room | Bed) -> str:
    """The printed code of a room or bed, grouped for reading aloud: ``ABCDE-FGHIJ``."""
    raw = _raw("bed" if isinstance(place, Bed) else "room", place.public_id)
    return f"{raw[:5]}-{raw[5:]}"


def normalise(code: str) -> str:
    """What a person typed, without spaces, dashes or case (and O/0, I/1 read alike)."""
    cleaned = code.upper().replace("0", "O").replace("1", "I").replace("8", "B")
    return _ALPHABET.sub("", cleaned)[: LENGTH + 1]


def matches(code: str, place: Room | Bed) -> bool:
    return constant_time_compare(normalise(code), normalise(code_for(place)))


def find(code: str, rooms: Iterable[Room], beds: Iterable[Bed]) -> Room | Bed | None:
    """The room or bed among the candidates whose code this is, or None."""
    wanted = normalise(code)
    if len(wanted) != LENGTH:
        return None
    candidates: list[Room | Bed] = [*beds, *rooms]
    for place in candidates:
        if constant_time_compare(wanted, normalise(code_for(place))):
            return place
    return None


def proves(code: str, room: Room | None, bed: Bed | None) -> bool:
    """Whether a scanned code is the person's own bed or the room they are placed in."""
    return bool(code) and any(p is not None and matches(code, p) for p in (bed, room))
