"""The workforce app's models, one module per area, re-exported here."""

from pillars.workforce.models.caseloads import *  # noqa: F403
from pillars.workforce.models.credentials import *  # noqa: F403
from pillars.workforce.models.drift import *  # noqa: F403
from pillars.workforce.models.gating import *  # noqa: F403
from pillars.workforce.models.ladder import *  # noqa: F403
from pillars.workforce.models.recognition import *  # noqa: F403
from pillars.workforce.models.retention import *  # noqa: F403
from pillars.workforce.models.supervision import *  # noqa: F403
from pillars.workforce.models.trainings import *  # noqa: F403
from pillars.workforce.models.wellbeing import *  # noqa: F403
