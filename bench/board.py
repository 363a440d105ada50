"""The unit board of the demo nurse's 20-bed unit, in the small demo and in the large demo (1,000
persons served over 20 units; the census it prints is who is placed now, bounded by the beds),
on SQLite and on PostgreSQL when it answers: the
signed-in, policy-checked, audited board page against a bare view that renders the same rows,
with the board's own row template, from one hand-written SQL query and no sign-in, policy or
audit (``/bench/rounds/board/<unit>``), median and p95 (goal: at most 2x).
"""

from __future__ import annotations

import os

from bench.common import bench_env, databases, pillars, server, timed_pages

ROUNDS = int(os.environ.get("BENCH_BOARD_ROUNDS", "100"))
WARMUP = 10

FIND_UNIT = """
from pillars.people.models import Placement, Staff
nurse = Staff.objects.get(user__username='demo-nurse')
unit = nurse.home_units.order_by('pk').first()
print(unit.public_id, unit.pk, Placement.objects.current().filter(unit=unit).count(),
      unit.bed_count, Placement.objects.current().count())
"""


def main() -> None:
    for database in databases():
        for scale, days in (("small", "2"), ("large", "1")):
            board(database, scale, days)


def board(database: str, scale: str, days: str) -> None:
    with bench_env(f"pillars-bench-board-{scale}-", database) as (data_dir, env):
        print(f"\nbench board ({database}): loading the {scale} demo in {data_dir} ...")
        pillars(env, "migrate", "--no-input", "-v", "0")
        pillars(env, "demo", "--seed", "7", "--scale", scale, "--rounds-days", days)
        public_id, pk, on_unit, beds, census = pillars(env, "shell", "-c", FIND_UNIT).split()[-5:]
        with server(env) as base:
            urls = {
                "bare": f"{base}/bench/rounds/board/{pk}",
                "board": f"{base}/rounds/units/{public_id}/board/",
            }
            med, p95 = timed_pages(base, urls, ROUNDS, WARMUP)
    print(
        f"[{database}] {scale} demo: census {census}; the board's unit has {beds} beds and "
        f"{on_unit} persons on it; {ROUNDS} requests each"
    )
    print(f"{'view':<44} {'median ms':>10} {'p95 ms':>10}")
    print(f"{'one hand-written query, same rows':<44} {med['bare']:>10.2f} {p95['bare']:>10.2f}")
    print(f"{'unit board (signed in, audited)':<44} {med['board']:>10.2f} {p95['board']:>10.2f}")
    print(
        f"\n[{database}] {scale} ratio board/bare: median {med['board'] / med['bare']:.2f}x, "
        f"p95 {p95['board'] / p95['bare']:.2f}x (goal: at most 2x)"
    )


if __name__ == "__main__":
    main()
