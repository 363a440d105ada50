"""The recovery app's models, one module per area, re-exported here."""

from pillars.recovery.models.capital import *  # noqa: F403
from pillars.recovery.models.directory import *  # noqa: F403
from pillars.recovery.models.encounters import *  # noqa: F403
from pillars.recovery.models.matching import *  # noqa: F403
from pillars.recovery.models.plans import *  # noqa: F403
from pillars.recovery.models.portal import *  # noqa: F403
from pillars.recovery.models.referrals import *  # noqa: F403
