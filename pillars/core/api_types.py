"""Field types shared by API schemas: text that a database can store, moments it can convert.

Bad input must answer 422, never 500. Two kinds of input get past a plain ``str`` or
``datetime`` and then break at the database: control characters (PostgreSQL refuses NUL in text)
and aware datetimes at the edge of the calendar (converting 9999-12-31T23:59-05:00 to UTC
overflows). These types refuse both while parsing.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, StringConstraints

from pillars.core.clock import storable, storable_day

# No C0 control characters and no DEL: names, numbers and notes never need them.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"

# One-line text; give its length with Field(max_length=...) where it is used.
Text = Annotated[str, StringConstraints(pattern=PRINTABLE)]


# An ISO 8601 date and time with its offset (naive times are refused), stored as UTC.
Moment = Annotated[AwareDatetime, AfterValidator(storable)]

# A calendar day (YYYY-MM-DD) in the same years.
Day = Annotated[date, AfterValidator(storable_day)]

__all__ = ["PRINTABLE", "Day", "Moment", "Text"]
