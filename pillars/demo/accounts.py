"""The demo sign-ins. Their password exists only in demo mode (PILLARS_DEMO)."""

DEMO_PASSWORD = "pillars-demo-2026"

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
