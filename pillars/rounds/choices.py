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
    ENDED = "ended", "Ended"
