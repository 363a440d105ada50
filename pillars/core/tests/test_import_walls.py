"""Core and audit sit below the domain apps: no module of theirs (tests aside) imports one,
at the top or inside a function. What core or audit must reach in a domain app at run time it
reaches through a hook the app fills in at ready() (core.devices, core.banner, audit.persons)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
WALLED = ("pillars/core", "pillars/audit")
DOMAIN_APPS = (
    "pillars.people",
    "pillars.rounds",
    "pillars.incidents",
    "pillars.recovery",
    "pillars.demo",
    "pillars.workforce",
    "pillars.insights",
)


def _modules() -> list[Path]:
    found = []
    for wall in WALLED:
        for path in sorted((ROOT / wall).rglob("*.py")):
            if "tests" in path.relative_to(ROOT / wall).parts:
                continue
            found.append(path)
    return found


def _is_domain(name: str) -> bool:
    return any(name == app or name.startswith(app + ".") for app in DOMAIN_APPS)


def domain_imports(source: str) -> list[tuple[int, str]]:
    """(line, imported name) of every import of a domain app in a module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if _is_domain(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if _is_domain(node.module):
                found.append((node.lineno, node.module))
            elif node.module == "pillars":
                # from pillars import people
                found += [
                    (node.lineno, f"pillars.{a.name}")
                    for a in node.names
                    if _is_domain(f"pillars.{a.name}")
                ]
    return found


def test_the_walk_finds_the_walled_modules() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in _modules()}
    assert "pillars/core/views.py" in names
    assert "pillars/audit/selectors.py" in names
    assert "pillars/core/management/commands/serve.py" in names
    assert not any("/tests/" in name for name in names)


@pytest.mark.parametrize(
    "source",
    [
        "import pillars.people.models\n",
        "from pillars.rounds import services\n",
        "def f():\n    from pillars.demo.accounts import DEMO_PASSWORD\n",
        "from pillars import incidents\n",
        "if True:\n    import pillars.workforce as w\n",
    ],
)
def test_a_domain_import_is_caught_wherever_it_is(source: str) -> None:
    assert domain_imports(source)


def test_core_and_audit_import_no_domain_app() -> None:
    problems = [
        f"{path.relative_to(ROOT).as_posix()}:{line} imports {name}"
        for path in _modules()
        for line, name in domain_imports(path.read_text(encoding="utf-8"))
    ]
    assert not problems, "core and audit must not import a domain app:\n" + "\n".join(problems)


# People sits below the other domain apps: alerts, sections, panels and hooks are filled in by
# those apps at ready() (people.alerts.set_lead_rule, people.hooks), never imported from them.
ABOVE_PEOPLE = (
    "pillars.rounds",
    "pillars.incidents",
    "pillars.recovery",
    "pillars.workforce",
    "pillars.insights",
    "pillars.demo",
)


def _imports_of(source: str, packages: tuple[str, ...]) -> list[tuple[int, str]]:
    return [
        (line, name)
        for line, name in domain_imports(source)
        if any(name == p or name.startswith(p + ".") for p in packages)
    ]


def test_people_imports_no_app_above_it() -> None:
    people = ROOT / "pillars/people"
    modules = [
        path
        for path in sorted(people.rglob("*.py"))
        if "tests" not in path.relative_to(people).parts
    ]
    assert any(p.name == "alerts.py" for p in modules)
    problems = [
        f"{path.relative_to(ROOT).as_posix()}:{line} imports {name}"
        for path in modules
        for line, name in _imports_of(path.read_text(encoding="utf-8"), ABOVE_PEOPLE)
    ]
    assert not problems, "people must not import the apps above it:\n" + "\n".join(problems)


def test_an_import_from_above_people_is_caught() -> None:
    assert _imports_of("def f():\n    from pillars.rounds.models import Check\n", ABOVE_PEOPLE)
    assert not _imports_of("from pillars.people.models import Staff\n", ABOVE_PEOPLE)
