"""Small-cell suppression: hide groups too small to stay anonymous, and enough others that the
hidden ones cannot be worked out by subtraction from a total.

Thresholds (DESIGN.md "Small cells"): CMS suppresses counts of 1 to 10 in released data
(CMS Cell Size Suppression Policy), so exports hide groups under 11; screens, seen only by
leaders inside the organisation, hide groups under 5. Both live in settings.SMALL_CELL_MINIMUM.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping
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


# Spans are compared modulo a large prime: exact for groups of the sizes released here.
_PRIME = 2**61 - 1

type _Vector[C] = dict[C, int]


def _reduce[C](vector: _Vector[C], basis: Mapping[C, _Vector[C]]) -> _Vector[C]:
    """``vector`` minus its part in the span of ``basis`` (each pivot's row has 1 there)."""
    left = dict(vector)
    for pivot, row in basis.items():
        factor = left.get(pivot, 0)
        if factor:
            for key, value in row.items():
                left[key] = (left.get(key, 0) - factor * value) % _PRIME
    return {k: v for k, v in left.items() if v}


def _span[C](vectors: list[_Vector[C]]) -> dict[C, _Vector[C]]:
    """A reduced basis of the vectors' span (Gaussian elimination modulo ``_PRIME``)."""
    basis: dict[C, _Vector[C]] = {}
    for vector in vectors:
        left = _reduce(vector, basis)
        if not left:
            continue
        pivot = next(iter(left))
        inverse = pow(left[pivot], -1, _PRIME)
        row = {k: v * inverse % _PRIME for k, v in left.items()}
        for other in basis.values():
            factor = other.get(pivot, 0)
            if factor:
                for key, value in row.items():
                    other[key] = (other.get(key, 0) - factor * value) % _PRIME
                    if not other[key]:
                        del other[key]
        basis[pivot] = row
    return basis


def suppressed_across[K: Hashable, C: Hashable](
    cells: Mapping[K, Collection[C]], sizes: Mapping[K, int], hidden: Mapping[K, str]
) -> dict[K, str]:
    """Groups of several cuts of the same records (a team and a unit, say), each the sum of
    its cells, shown beside their total: ``hidden`` (each cut's own ``suppressed``) grows
    until no SMALL group is a combination of the shown groups and the total, since a unit minus
    the teams shown inside it could give a hidden team back. While one is, the smallest group
    still shown is hidden too (COMPLEMENT)."""
    hidden = dict(hidden)
    small = [key for key, why in hidden.items() if why == SMALL]
    everything = {cell: 1 for found in cells.values() for cell in found}
    while True:
        shown = [key for key in sizes if key not in hidden]
        basis = _span([everything, *(dict.fromkeys(cells[k], 1) for k in shown)])
        if not shown or all(_reduce(dict.fromkeys(cells[k], 1), basis) for k in small):
            return hidden
        hidden[min(shown, key=lambda k: (sizes[k], str(k)))] = COMPLEMENT
