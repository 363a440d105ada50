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
