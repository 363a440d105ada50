"""Small built-in word lists for the demo: names, titles, languages, lived experience.

Invented for the demo; no external data. The mix of names reflects the communities a public
behavioral health program in a mid-sized US city serves.
"""

from __future__ import annotations

GIVEN_NAMES: tuple[str, ...] = (
    "Aaliyah", "Abdi", "Adriana", "Aisha", "Alejandro", "Alex", "Amara", "Andre", "Angela",
    "Anh", "Ashley", "Bao", "Benjamin", "Brianna", "Camila", "Carlos", "Casey", "Chen",
    "Chloe", "Christopher", "Daniel", "Darnell", "Deja", "Destiny", "Diego", "Dmitri", "Elena",
    "Elijah", "Emily", "Eric", "Esperanza", "Fatima", "Gabriel", "Grace", "Hannah", "Hector",
    "Hoa", "Ibrahim", "Imani", "Isaac", "Isabella", "Jada", "Jamal", "James", "Jasmine",
    "Javier", "Jennifer", "Jordan", "Jose", "Joseph", "Kai", "Keisha", "Kevin", "Khadija",
    "Kim", "Lamar", "Laura", "Leilani", "Linh", "Luis", "Malik", "Marcus", "Maria", "Mariana",
    "Mei", "Michael", "Miguel", "Mohamed", "Monique", "Morgan", "Nadia", "Naomi", "Nicole",
    "Noah", "Omar", "Pablo", "Patricia", "Priya", "Quinn", "Rafael", "Rashid", "Riley",
    "Robert", "Rosa", "Samuel", "Sara", "Sofia", "Tanisha", "Taylor", "Thomas", "Tiana",
    "Tuan", "Valeria", "Victor", "Wei", "William", "Xavier", "Yasmin", "Yusuf", "Zoe",
)  # fmt: skip

FAMILY_NAMES: tuple[str, ...] = (
    "Abdullahi", "Adams", "Ahmed", "Alvarez", "Anderson", "Baker", "Banks", "Bell", "Brooks",
    "Brown", "Castillo", "Chavez", "Clark", "Cruz", "Davis", "Diaz", "Dang", "Edwards",
    "Flores", "Foster", "Garcia", "Gomez", "Gonzalez", "Green", "Gutierrez", "Hall", "Harris",
    "Hassan", "Hernandez", "Hill", "Huang", "Jackson", "James", "Jenkins", "Johnson", "Jones",
    "Kim", "King", "Le", "Lee", "Lewis", "Lopez", "Martin", "Martinez", "Mendoza", "Mitchell",
    "Mohamud", "Moore", "Morales", "Morgan", "Murphy", "Nelson", "Nguyen", "Okafor", "Ortiz",
    "Patel", "Perez", "Phillips", "Pham", "Price", "Ramirez", "Ramos", "Reed", "Reyes",
    "Richardson", "Rivera", "Roberts", "Robinson", "Rodriguez", "Ross", "Sanchez", "Scott",
    "Shah", "Silva", "Singh", "Smith", "Stewart", "Tanaka", "Taylor", "Thomas", "Thompson",
    "Torres", "Tran", "Turner", "Vargas", "Vasquez", "Walker", "Warsame", "Washington",
    "Watson", "White", "Williams", "Wilson", "Wong", "Wright", "Yang", "Young", "Zhang",
)  # fmt: skip

# A short name some people go by instead of their legal given name.
PREFERRED_NAMES: tuple[str, ...] = (
    "AJ", "Bee", "Cam", "Dee", "Frankie", "Izzy", "Jay", "Jo", "Lex", "Mack", "Nico", "Rae",
    "Sam", "Sky", "Teddy", "Val",
)  # fmt: skip

PRONOUNS: tuple[tuple[str, int], ...] = (
    ("she/her", 40),
    ("he/him", 40),
    ("they/them", 8),
    ("", 12),
)

JOB_TITLES: dict[str, tuple[str, ...]] = {
    "bht": (
        "Behavioral Health Technician",
        "Mental Health Technician",
        "Psychiatric Technician",
    ),
    "nurse": ("Registered Nurse", "Charge Nurse", "Psychiatric Nurse"),
    "clinician": (
        "Licensed Clinical Social Worker",
        "Licensed Professional Counselor",
        "Psychologist",
        "Psychiatric Nurse Practitioner",
    ),
    "peer": ("Certified Peer Specialist", "Recovery Coach", "Peer Support Specialist"),
    "youth_peer": ("Youth Peer Advocate",),
    "supervisor": ("Unit Manager", "BHT Supervisor", "Peer Support Supervisor"),
    "director": ("Program Director", "Director of Behavioral Health Services"),
    "privacy": ("Privacy Officer",),
    "admin": ("Systems Administrator",),
}

# English for everyone; weights are percentages of staff who also speak the language.
OTHER_LANGUAGES: tuple[tuple[str, int], ...] = (
    ("Spanish", 24),
    ("Vietnamese", 4),
    ("American Sign Language", 3),
    ("Somali", 3),
    ("Arabic", 3),
    ("Mandarin", 2),
    ("Hmong", 2),
)

LIVED_EXPERIENCE: tuple[str, ...] = (
    "recovery from a mental health condition",
    "recovery from substance use",
    "family member of someone in recovery",
    "veteran",
    "LGBTQ+",
    "justice involvement",
    "housing instability",
    "survivor of trauma",
)

TRANSFER_REASONS: dict[tuple[str, str], str] = {
    ("crisis", "adult"): "Needs inpatient care beyond crisis stabilization",
    ("adult", "residential"): "Stepped down to residential treatment",
    ("crisis", "residential"): "Stepped down to residential treatment",
}

ORGANIZATION_NAME = "Riverbend Behavioral Health (demo)"

# Each campus has a hospital site (adult and adolescent acute) and a recovery center (crisis
# stabilization and residential substance-use treatment).
CAMPUSES: tuple[tuple[str, str], ...] = (
    ("Riverside", "Northgate"),
    ("Lakeview", "Cedar Hill"),
    ("Prairie", "Millbrook"),
    ("Eastport", "Willow Creek"),
    ("Summit", "Oak Hollow"),
    ("Bayside", "Elm Grove"),
    ("Harbor", "Fox Run"),
    ("Westfield", "Stonebridge"),
)
