from django.db import models


class Precaution(models.TextChoices):
    SUICIDE = "suicide", "Suicide"
    SELF_HARM = "self_harm", "Self-harm"
    ELOPEMENT = "elopement", "Elopement"
    FALL = "fall", "Fall"
    ASSAULT = "assault", "Assault"
    SEXUAL_SAFETY = "sexual_safety", "Sexual safety"
    SEIZURE = "seizure", "Seizure"


class Location(models.TextChoices):
    BEDROOM = "bedroom", "Bedroom"
    BATHROOM = "bathroom", "Bathroom"
    DAYROOM = "dayroom", "Day room"
    HALLWAY = "hallway", "Hallway"
    DINING = "dining", "Dining room"
    GROUP_ROOM = "group_room", "Group room"
    NURSES_STATION = "nurses_station", "Nurses' station"
    OUTDOOR = "outdoor", "Courtyard"
    SECLUSION = "seclusion", "Seclusion room"
    OTHER = "other", "Other"


class Activity(models.TextChoices):
    ASLEEP = "asleep", "Asleep, breathing seen"
    RESTING = "resting", "Lying down, awake"
    SITTING = "sitting", "Sitting"
    WALKING = "walking", "Walking"
    TALKING = "talking", "Talking with others"
    EATING = "eating", "Eating or drinking"
    GROUP = "group", "In a group"
    TV = "tv", "Watching TV"
    READING = "reading", "Reading or writing"
    HYGIENE = "hygiene", "Hygiene"
    PHONE = "phone", "On the phone"
    PACING = "pacing", "Pacing"
    CRYING = "crying", "Crying"
    SECLUDED = "secluded", "In seclusion"
    RESTRAINED = "restrained", "In restraint"
    OTHER = "other", "Other"


class SafetyStatus(models.TextChoices):
    SAFE = "safe", "Safe"
    CONCERN = "concern", "Concern"
    EMERGENCY = "emergency", "Emergency"


class CheckStatus(models.TextChoices):
    """Where an order's clock stands at a moment (``ObservationOrder.status_at``)."""

    UPCOMING = "upcoming", "Upcoming"
    DUE = "due", "Due"
    LATE = "late", "Late"
    MISSED = "missed", "Missed"
    PAUSED = "paused", "Paused"
    ENDED = "ended", "Ended"


class ExceptionKind(models.TextChoices):
    """Why a person cannot be observed for a while; the clock pauses until they are back."""

    OFF_UNIT = "off_unit", "Off the unit"
    REFUSED = "refused", "Refused to be checked"
    IN_SESSION = "in_session", "In a session"
    ON_PASS = "on_pass", "On pass"


class AssignmentKind(models.TextChoices):
    LEAD = "lead", "Shift lead"
    PERSON = "person", "Person served"
    ROOM = "room", "Room"


class Proof(models.TextChoices):
    """How the observer showed they were at the person's door."""

    TAP = "tap", "Tap on the board"
    QR = "qr", "Room code scanned"


class Recipient(models.TextChoices):
    """Who an escalation step alerts."""

    ASSIGNED = "assigned", "Assigned staff member"
    LEAD = "lead", "Shift lead"
    MANAGER = "manager", "Unit manager"
    DIRECTOR = "director", "Program director"


# --- Environment of care: inspections, findings and work orders ------------------------------


class AreaKind(models.TextChoices):
    """What kind of place an inspection template is made for."""

    ROOM = "room", "Bedroom"
    BATHROOM = "bathroom", "Bathroom"
    COMMON = "common", "Common area"
    EXIT = "exit", "Exit"
    UNIT = "unit", "Whole unit"


class ItemCategory(models.TextChoices):
    LIGATURE = "ligature", "Ligature points"
    SHARPS = "sharps", "Sharps"
    EXITS = "exits", "Exits"
    CONTRABAND = "contraband", "Contraband"
    OTHER = "other", "Other"


class ItemResult(models.TextChoices):
    PASS = "pass", "Pass"
    FAIL = "fail", "Fail"
    NA = "na", "Not applicable"


class WorkOrderStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    NOT_NEEDED = "not_needed", "Not needed"


# A work order in one of these states still stands between the room and a safe room.
WORK_ORDER_OPEN_STATES = (WorkOrderStatus.OPEN, WorkOrderStatus.IN_PROGRESS)
