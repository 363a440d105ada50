"""The one policy layer (DESIGN.md rule 5: deny by default).

Two questions, always in this order:

1. **Visible?** Each model registers a scope: whether an actor may know a record exists (unit or
   program, caseload, supervision, emergency access). A record outside it answers 404, exactly as
   if it did not exist.
2. **Allowed?** Each action names the roles that may take it, plus an optional record-level
   predicate (author only, not yet signed...). Visible but not allowed answers 403.

Apps declare their actions and scopes in their ``policies.py``; views, the API, commands and
services all call ``require`` / ``restrict`` / ``can`` here and nowhere else. Refusals are
audited, and a refusal never carries the record.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.utils.functional import LazyObject, empty

from pillars.core import clock, prepared


@dataclass(frozen=True)
class Actor:
    """What the policy layer knows about whoever is acting, computed once per request."""

    user: Any
    staff_id: int | None = None
    # The organization the staff member works for: nobody sees past it (``set_tenancy``).
    organization_id: int | None = None
    roles: frozenset[str] = frozenset()
    unit_ids: frozenset[int] = frozenset()
    is_org_wide: bool = False
    may_break_glass: bool = False
    requires_two_factor: bool = False
    caseload_person_ids: frozenset[int] = frozenset()
    supervisee_staff_ids: frozenset[int] = frozenset()
    emergency_person_ids: frozenset[int] = frozenset()
    # Part 2 consents in force that may name the actor (people.consents refines them).
    consent_ids: frozenset[int] = frozenset()
    token_scopes: frozenset[str] | None = None  # None: a browser session, all of the user's rights
    extra: dict[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def is_authenticated(self) -> bool:
        # Kept once asked: a user object is signed in or anonymous for its whole life, and the
        # actor's fields are frozen. Every policy question asks it first.
        return bool(getattr(self.user, "is_authenticated", False)) and self.staff_id is not None

    @property
    def staff_pk(self) -> int:
        """The acting staff member's key; only reached after a policy check passed."""
        if self.staff_id is None:
            raise PermissionDenied("You do not have permission to do that.")
        return self.staff_id

    def has_role(self, *codes: str) -> bool:
        return bool(self.roles.intersection(codes))


ANONYMOUS = Actor(user=None)


@dataclass(frozen=True)
class Rule:
    """Who may take an action: any of ``roles``, and ``check`` (if any) must hold for the record."""

    roles: frozenset[str]
    check: Callable[[Actor, Any], bool] | None = None
    scope: str = "read"  # the API token scope the action needs: read or write
    description: str = ""


@dataclass(frozen=True)
class Scope:
    visible: Callable[[Actor, Any], bool]
    restrict: Callable[[Actor, models.QuerySet[Any]], models.QuerySet[Any]]


_rules: dict[str, Rule] = {}
_scopes: dict[type[models.Model], Scope] = {}
_actor_loader: Callable[[Any], Actor] | None = None
_refusal_hook: Callable[[Actor, str, Any, str], None] | None = None
# The record label (42 CFR Part 2, people.labels): asked after every scope, so a labelled record
# is hidden the same way on every page, list, count and API route.
_label_visible: Callable[[Actor, Any], bool] | None = None
_label_restrict: Callable[[Actor, models.QuerySet[Any]], models.QuerySet[Any]] | None = None
_label_key: Callable[[Actor], Any] | None = None
_label_bind: Callable[[Actor, models.QuerySet[Any]], models.QuerySet[Any]] | None = None
# The organization a record belongs to (people.tenancy): asked before every scope, so no one, an
# organization-wide role or an administrator included, sees a record of another organization.
_tenant_visible: Callable[[Actor, Any], bool] | None = None
_tenant_restrict: Callable[[Actor, models.QuerySet[Any]], models.QuerySet[Any]] | None = None


def rule(
    *roles: str,
    check: Callable[[Actor, Any], bool] | None = None,
    scope: str = "read",
    description: str = "",
) -> Rule:
    return Rule(frozenset(str(r) for r in roles), check, scope, description)


def register(actions: dict[str, Rule]) -> None:
    for name, value in actions.items():
        if name in _rules and _rules[name] != value:
            raise RuntimeError(f"policy action {name!r} registered twice")
        _rules[name] = value


def register_scope(
    model: type[models.Model],
    *,
    visible: Callable[[Actor, Any], bool],
    restrict: Callable[[Actor, models.QuerySet[Any]], models.QuerySet[Any]],
) -> None:
    _scopes[model] = Scope(visible, restrict)


def set_actor_loader(loader: Callable[[Any], Actor]) -> None:
    global _actor_loader
    _actor_loader = loader


def set_label_guard(
    *,
    visible: Callable[[Actor, Any], bool],
    restrict: Callable[[Actor, models.QuerySet[Any]], models.QuerySet[Any]],
    key: Callable[[Actor], Any],
    bind: Callable[[Actor, models.QuerySet[Any]], models.QuerySet[Any]],
) -> None:
    """The second half of visibility: a record's label (people.labels) after its scope. For the
    reads kept once built (``readable_rows``): ``key`` names what ``restrict`` builds its
    condition from for an actor, ``bind`` hands a kept read to the actor reading it now."""
    global _label_visible, _label_restrict, _label_key, _label_bind
    _label_visible, _label_restrict = visible, restrict
    _label_key, _label_bind = key, bind


def set_tenancy(
    *,
    visible: Callable[[Actor, Any], bool],
    restrict: Callable[[Actor, models.QuerySet[Any]], models.QuerySet[Any]],
) -> None:
    """The first half of visibility: whether a record, and which rows of a query, belong to the
    actor's organization (people.tenancy). Scopes decide within it."""
    global _tenant_visible, _tenant_restrict
    _tenant_visible, _tenant_restrict = visible, restrict


def set_refusal_hook(hook: Callable[[Actor, str, Any, str], None]) -> None:
    global _refusal_hook
    _refusal_hook = hook


def actions() -> dict[str, Rule]:
    return dict(_rules)


def actor_for(user: Any) -> Actor:
    """The actor for a user, cached on the user object for the rest of the request. The actor
    holds the user itself, not the lazy ``request.user`` a middleware may have asked with."""
    if isinstance(user, Actor):
        return user
    # Only a signed-in user has one cached (a lazy ``request.user`` hands on the question).
    cached = getattr(user, "_pillars_actor", None)
    if cached is not None:
        return cached
    user = unwrapped(user)
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    if _actor_loader is None:
        raise RuntimeError("no actor loader registered")
    actor = _actor_loader(user)
    user._pillars_actor = actor
    return actor


def unwrapped(user: Any) -> Any:
    """The user object itself behind the lazy wrappers authentication and django-otp put on
    ``request.user``. Once the user is loaded (the request's middleware loads it) the wrappers
    only forward: every attribute a request reads (the actor cached on the user, its roles, the
    templates' ``user``) went through two of them, about a thousand times a page."""
    while isinstance(user, LazyObject):
        if object.__getattribute__(user, "_wrapped") is empty:
            user._setup()
        user = object.__getattribute__(user, "_wrapped")
    return user


_LOADED_WITH_USER = "_pillars_loaded_with_user"

# A user signed in by an API token for this request, marked before the actor is loaded: no page,
# so the loader leaves out what only a page shows (the top bar's alert count).
API_USER = "_pillars_api_user"


def loaded_with_user(user: Any) -> Any:
    """Mark a user whose query also brought the rows the actor loader needs (its profile), so
    the loader may use them once instead of reading them again."""
    if user is not None:
        setattr(user, _LOADED_WITH_USER, True)
    return user


def take_loaded_with_user(user: Any) -> bool:
    """True, once, when ``loaded_with_user`` marked this user; a later load reads afresh."""
    marked = bool(getattr(user, _LOADED_WITH_USER, False))
    if marked:
        setattr(user, _LOADED_WITH_USER, False)
    return marked


def forget(user: Any) -> None:
    """Drop a cached actor after its roles or scope changed."""
    if hasattr(user, "_pillars_actor"):
        del user._pillars_actor


def _scope_for(model: type[models.Model]) -> Scope:
    for klass in model.__mro__:
        if klass in _scopes:
            return _scopes[klass]
    raise RuntimeError(f"{model.__name__} has no registered scope: deny by default")


def is_visible(user: Any, obj: models.Model) -> bool:
    actor = actor_for(user)
    if not actor.is_authenticated:
        return False
    if _tenant_visible is not None and not _tenant_visible(actor, obj):
        return False
    if not _scope_for(type(obj)).visible(actor, obj):
        return False
    return _label_visible is None or _label_visible(actor, obj)


def _allowed(actor: Actor, action: str, obj: Any) -> bool:
    try:
        r = _rules[action]
    except KeyError:
        raise RuntimeError(f"unknown policy action {action!r}") from None
    if not actor.is_authenticated or not actor.roles & r.roles:
        return False
    if actor.token_scopes is not None and r.scope not in actor.token_scopes:
        return False
    return r.check is None or r.check(actor, obj)


def can(user: Any, action: str, obj: Any = None) -> bool:
    """True when the actor may take the action (on the record, which must be visible)."""
    actor = actor_for(user)
    if isinstance(obj, models.Model) and not is_visible(actor, obj):
        return False
    return _allowed(actor, action, obj)


def permitted(user: Any, actions: Iterable[str]) -> set[str]:
    """The actions among ``actions`` the actor may take, on no record in particular: ``can``
    asked of each (the entries of a menu)."""
    actor = actor_for(user)
    return {action for action in actions if _allowed(actor, action, None)}


def allows(user: Any, action: str, obj: Any = None) -> bool:
    """``can`` without the scope check, for a record the caller has just found visible with
    ``require`` or ``can`` in the same request (a page's sections asking about the page's
    person): the role, token scope and the action's own check still decide."""
    return _allowed(actor_for(user), action, obj)


def require(user: Any, action: str, obj: Any = None) -> Actor:
    """Raise Http404 when the record is out of scope, PermissionDenied when not allowed."""
    actor = actor_for(user)
    if isinstance(obj, models.Model) and not is_visible(actor, obj):
        _refused(actor, action, obj, "not_found")
        raise Http404("Not found")
    if not _allowed(actor, action, obj):
        _refused(actor, action, obj, "forbidden")
        raise PermissionDenied("You do not have permission to do that.")
    return actor


def restrict[M: models.Model](
    queryset: models.QuerySet[M], user: Any, action: str
) -> models.QuerySet[M]:
    """Only the rows the actor can see, and none at all when the action is not theirs."""
    actor = actor_for(user)
    if not _allowed(actor, action, None):
        return queryset.none()
    if _tenant_restrict is not None:
        queryset = _tenant_restrict(actor, queryset)
    queryset = _scope_for(queryset.model).restrict(actor, queryset)
    return queryset if _label_restrict is None else _label_restrict(actor, queryset)


def readable[M: models.Model](queryset: models.QuerySet[M], user: Any) -> models.QuerySet[M]:
    """Only the rows whose label the user may read, for a query the caller has already scoped
    (a person the page checked, a unit the board checked). ``None`` is the system itself (a
    service looking up what it is about to change): nothing is hidden from it."""
    if user is None or _label_restrict is None:
        return queryset
    return _label_restrict(actor_for(user), queryset)


def readable_rows[M: models.Model, R](
    name: str, user: Any, build: Callable[..., models.QuerySet[M, R]], *values: Any
) -> list[R]:
    """The rows of ``build(*values)``, a read filtered with ``readable`` for ``user``, built and
    compiled once per process and per what the user's label condition is built from (their
    units, grants and consents: ``prepared.read``). The rows a grant or consent opened are
    logged as disclosures to this user, as ``readable``'s own reads are."""
    return readable_later(name, user, build, *values).rows()


def readable_later[M: models.Model, R](
    name: str, user: Any, build: Callable[..., models.QuerySet[M, R]], *values: Any
) -> prepared.Pending[R]:
    """``readable_rows``, made ready but not run: for a function that reads in steps
    (``prepared.Steps``), whose reads run with others'."""
    if user is None or _label_key is None or _label_bind is None:
        return prepared.read_later(name, "everything", build, *values)
    actor, bind = actor_for(user), _label_bind
    return prepared.read_later(
        name, _label_key(actor), build, *values, bind=lambda queryset: bind(actor, queryset)
    )


def restricted_later[M: models.Model, R](
    name: str, user: Any, action: str, build: Callable[..., models.QuerySet[M, R]], *values: Any
) -> prepared.Pending[R]:
    """The rows of ``build(*values)`` that ``restrict`` leaves the user for ``action``, made
    ready to run (``prepared.read_later``): the restricted read built and its SQL compiled once
    per process per reader (``reader_key``), then run with each call's ``values``. For the
    reads a page makes on every refresh (the board's rows and timers), where building them
    through this layer costs more than the database takes. The rows a grant or consent opened
    are logged as disclosures to this user, as ``restrict``'s own reads are."""
    actor = actor_for(user)
    label_bind = _label_bind
    key, restricted = _kept_restricted(actor, action, build)
    return prepared.read_later(
        name,
        key,
        restricted,
        *values,
        bind=None if label_bind is None else (lambda queryset: label_bind(actor, queryset)),
    )


def restricted_count(
    name: str, user: Any, action: str, build: Callable[..., models.QuerySet[Any]], *values: Any
) -> prepared.KeptCount:
    """How many rows of ``build(*values)`` ``restrict`` leaves the user for ``action``, made
    ready to be counted with others (``rounds.board_extras.count_together``): the restricted
    read built and its count compiled once per process per reader (``reader_key``), then run
    with each call's ``values`` (``prepared.count_kept``). For counts a page makes on every
    refresh, where building them through this layer costs more than the database takes."""
    key, restricted = _kept_restricted(actor_for(user), action, build)
    return prepared.count_kept(name, key, restricted, *values)


def _kept_restricted[M: models.Model, R](
    actor: Actor, action: str, build: Callable[..., models.QuerySet[M, R]]
) -> tuple[Any, Callable[..., models.QuerySet[M, R]]]:
    """The key a read restricted for the actor is kept under, and its builder: ``build``'s
    read, restricted."""
    return (action, reader_key(actor)), lambda *given: restrict(build(*given), actor, action)


def reader_key(actor: Actor) -> Any:
    """Everything ``restrict`` builds its conditions from for this actor, to key the reads
    kept once built: who they are, their organization, roles, units, caseload, supervisees,
    emergency grants and consents (with what their Part 2 label condition is built from), the
    API token's scopes, and the organization's day (a supervisor's scope follows it: a
    supervisee's caseload is read on ``clock.organization_today()``, not UTC's date)."""
    key = actor.extra.get(_READER_KEY)
    if key is None:
        key = actor.extra[_READER_KEY] = (
            actor.staff_id,
            actor.organization_id,
            actor.roles,
            actor.unit_ids,
            actor.is_org_wide,
            actor.may_break_glass,
            actor.caseload_person_ids,
            actor.supervisee_staff_ids,
            actor.emergency_person_ids,
            actor.consent_ids,
            actor.token_scopes,
            None if _label_key is None else _label_key(actor),
        )
    return key, clock.organization_today()


_READER_KEY = "policy-reader-key"


def _refused(actor: Actor, action: str, obj: Any, why: str) -> None:
    if _refusal_hook is not None and actor.is_authenticated:
        _refusal_hook(actor, action, obj, why)


def roles_for(action: str) -> frozenset[str]:
    return _rules[action].roles


def known(names: Iterable[str]) -> bool:
    return all(name in _rules for name in names)
