"""Small-cell suppression: hide groups too small to stay anonymous, and enough others that the
hidden ones cannot be worked out by subtraction from a total.

Thresholds (DESIGN.md "Small cells"): CMS suppresses counts of 1 to 10 in released data
(CMS Cell Size Suppression Policy), so exports hide groups under 11; screens, seen only by
leaders inside the organisation, hide groups under 5. Both live in settings.SMALL_CELL_MINIMUM.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Literal

from django.conf import settings

Audience = Literal["screen", "export"]

SMALL = "small"  # the group itself is under the threshold
COMPLEMENT = "complement"  # hidden so that a small group cannot be found by subtraction


def threshold(audience: Audience) -> int:
    return int(settings.SMALL_CELL_MINIMUM[audience])


def suppressed[K: Hashable](
    sizes: Mapping[K, int], audience: Audience, *, total_shown: bool = True
) -> dict[K, str]:
    """Which parts to hide and why (SMALL or COMPLEMENT), given each part's group size.

    A part under the threshold is hidden. When a total is shown beside the parts and exactly one
    non-empty part is hidden, the total minus the visible parts would give that part back, so the
    next smallest non-empty part is hidden too. Empty parts hold nothing and cover nothing.
    """
    minimum = threshold(audience)
    hidden = {key: SMALL for key, size in sizes.items() if size < minimum}
    secret = [key for key in hidden if sizes[key] > 0]
    if total_shown and len(secret) == 1:
        shown = [key for key, size in sizes.items() if key not in hidden and size > 0]
        if shown:
            # Stable: the smallest group, the first given among equals.
            hidden[min(shown, key=lambda key: sizes[key])] = COMPLEMENT
    return hidden
