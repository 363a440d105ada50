"""The demo sign-ins. Their password exists only in demo mode (PILLARS_DEMO)."""

from __future__ import annotations

import hashlib

DEMO_PASSWORD = "pillars-demo-2026"

# The tablet quick switch (badge number + PIN) for the floor roles that may use it.
DEMO_PIN = "482916"

DEMO_SIGN_INS: list[tuple[str, str]] = [
    ("demo-bht", "Behavioral health technician"),
    ("demo-nurse", "Nurse (shift lead)"),
    ("demo-clinician", "Clinician"),
    ("demo-peer", "Peer support specialist"),
    ("demo-supervisor", "Supervisor"),
    ("demo-director", "Program director (two-step sign-in)"),
    ("demo-privacy", "Privacy officer (two-step sign-in)"),
    ("demo-admin", "Administrator (two-step sign-in)"),
]

# Badge numbers 1001-1008, in the order above; generated staff get numbers from 2000 up.
DEMO_BADGES: dict[str, str] = {
    username: str(1001 + n) for n, (username, _) in enumerate(DEMO_SIGN_INS)
}
DEMO_PIN_USERS = ("demo-bht", "demo-nurse")
SYSTEM_USERNAME = "demo-system"


def demo_totp_key(username: str) -> str:
    """The fixed authenticator key (hex, 20 bytes) of a demo account: the same on every demo
    install, so ``pillars demo-code`` can print the code. Never used outside demo mode."""
    return hashlib.sha1(f"pillars-demo-totp:{username}".encode(), usedforsecurity=False).hexdigest()


def sign_in_banner() -> list[str]:
    """The demo sign-ins ``pillars serve`` prints when it starts (``core.banner``)."""
    lines = [f"Demo sign-ins (password for all: {DEMO_PASSWORD}):"]
    lines += [f"  {username:<18} {role}" for username, role in DEMO_SIGN_INS]
    return lines
