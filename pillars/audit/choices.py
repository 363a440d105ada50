from django.db import models


class Category(models.TextChoices):
    """The data category of what an event touched (DESIGN.md rules 4 and 6)."""

    GENERAL = "general", "General"
    SUBSTANCE_USE = "part2", "Substance use (42 CFR Part 2)"
    WELLBEING = "wellbeing", "Staff wellbeing"
    NONE = "none", "No protected information"


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    DENIED = "denied", "Denied"
    FAILED = "failed", "Failed"


class Action(models.TextChoices):
    SIGN_IN = "sign_in", "Sign-in"
    SIGN_IN_FAILED = "sign_in_failed", "Failed sign-in"
    SIGN_OUT = "sign_out", "Sign-out"
    LOCKED_OUT = "locked_out", "Locked out"
    TWO_FACTOR = "two_factor", "Two-factor step"
    SESSION_ENDED = "session_ended", "Session ended"
    VIEW = "view", "Viewed"
    SEARCH = "search", "Searched"
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    VOID = "void", "Voided"
    PRIVILEGE_CHANGE = "privilege_change", "Privilege change"
    EMERGENCY_ACCESS = "emergency_access", "Emergency access"
    EXPORT = "export", "Exported"
    IMPORT = "import", "Imported"
    TOKEN = "token", "API token"


class Purpose(models.TextChoices):
    TREATMENT = "treatment", "Treatment and care"
    OPERATIONS = "operations", "Operations"
    EMERGENCY = "emergency", "Emergency access"
    OVERSIGHT = "oversight", "Privacy oversight"
    SECURITY = "security", "Security"
    ADMINISTRATION = "administration", "Administration"
