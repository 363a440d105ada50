"""The incidents app's models, one module per area, re-exported here."""

from pillars.incidents.models.behavior import *  # noqa: F403
from pillars.incidents.models.incidents import *  # noqa: F403
from pillars.incidents.models.restraint import *  # noqa: F403
from pillars.incidents.models.safety import *  # noqa: F403
