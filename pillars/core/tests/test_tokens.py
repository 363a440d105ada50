"""Personal access tokens: the services (create, revoke, authenticate) and the pages."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client

from pillars.audit.choices import Action, Outcome
from pillars.audit.models import AuditEvent
from pillars.core.errors import Conflict, ValidationError
from pillars.core.models import ApiToken
from pillars.core.tokens import authenticate_token, create_token, revoke_token

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def token_events(**filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=Action.TOKEN, **filters).order_by("seq"))


# --- Services --------------------------------------------------------------------------------


def test_create_token_stores_only_a_hash_and_audits(world: Any) -> None:
    user = world.user("bht")
    with time_machine.travel(T0, tick=False):
        token, secret = create_token(user, "  Census export ", ["write", "read", "read"], 30)
    assert secret.startswith("plr_")
    assert len(secret) > 40
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = ApiToken.objects.get(pk=token.pk)
    assert secret not in {stored.token_hash, stored.name}
    assert stored.user == user
    assert stored.name == "Census export"
    assert stored.scopes == ["read", "write"]
    assert stored.created_at == T0
    assert stored.expires_at == T0 + timedelta(days=30)
    [event] = token_events()
    assert event.actor == user
    assert event.object_id == str(token.public_id)
    assert event.detail["event"] == "created"
    assert event.detail["changes"]["scopes"] == {"old": None, "new": ["read", "write"]}
    assert secret not in str(event.detail)


def test_a_token_lasts_at_most_90_days(world: Any) -> None:
    with time_machine.travel(T0, tick=False):
        token, _ = create_token(world.user("nurse"), "Longest", ["read"], 90)
    assert token.expires_at == T0 + timedelta(days=90)


@pytest.mark.parametrize(
    ("name", "scopes", "days", "field"),
    [
        ("", ["read"], 30, "name"),
        ("x" * 101, ["read"], 30, "name"),
        ("Ok", [], 30, "scopes"),
        ("Ok", ["admin"], 30, "scopes"),
        ("Ok", ["read", "delete"], 30, "scopes"),
        ("Ok", ["read"], 0, "days"),
        ("Ok", ["read"], 91, "days"),
        ("Ok", ["read"], 365, "days"),
        ("Ok", ["read"], "ten", "days"),
        ("Ok", ["read"], -5, "days"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    world: Any, name: str, scopes: list[str], days: Any, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        create_token(world.user("bht"), name, scopes, days)
    assert field in caught.value.message_dict
    assert not ApiToken.objects.exists()
    assert not token_events()


def test_an_account_without_a_staff_profile_cannot_make_tokens(db: Any) -> None:
    user = get_user_model().objects.create_user(username="loose", password="x" * 20)
    with pytest.raises(PermissionDenied):
        create_token(user, "Nope", ["read"], 30)
    assert not ApiToken.objects.exists()


def test_revoke_token_revokes_once_and_audits(world: Any) -> None:
    user = world.user("peer")
    token, _ = create_token(user, "Script", ["read"], 10)
    with time_machine.travel(T0, tick=False):
        revoked = revoke_token(token, actor=user)
    assert revoked.revoked_at == T0
    assert ApiToken.objects.get(pk=token.pk).state_at(T0) == "revoked"
    assert token_events()[-1].detail["event"] == "revoked"
    with pytest.raises(Conflict):
        revoke_token(token, actor=user)
    assert len(token_events()) == 2


def test_nobody_revokes_another_persons_token(world: Any) -> None:
    token, _ = create_token(world.user("peer"), "Script", ["read"], 10)
    with pytest.raises(Http404):
        revoke_token(token, actor=world.user("admin"))
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_authenticate_token_accepts_an_active_token_and_marks_its_use(world: Any) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        token, secret = create_token(world.user("bht"), "Script", ["read"], 10)
        found = authenticate_token(secret)
        assert found is not None
        assert found.pk == token.pk
        assert found.user == world.user("bht")
        assert ApiToken.objects.get(pk=token.pk).last_used_at == T0
        # Within the minute: no write, no new audit event.
        traveller.shift(timedelta(seconds=59))
        assert authenticate_token(secret) is not None
        assert ApiToken.objects.get(pk=token.pk).last_used_at == T0
        traveller.shift(timedelta(seconds=2))
        assert authenticate_token(secret) is not None
        assert ApiToken.objects.get(pk=token.pk).last_used_at == T0 + timedelta(seconds=61)
    used = [e for e in token_events() if e.detail["event"] == "used"]
    assert len(used) == 2


def test_authenticate_token_refuses_an_expired_token(world: Any) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        _, secret = create_token(world.user("bht"), "Script", ["read"], 1)
        traveller.shift(timedelta(days=1) - timedelta(seconds=1))
        assert authenticate_token(secret) is not None
        traveller.shift(timedelta(seconds=1))
        assert authenticate_token(secret) is None
    refused = token_events(outcome=Outcome.DENIED)
    assert [e.detail["reason"] for e in refused] == ["expired"]


def test_authenticate_token_refuses_revoked_unknown_and_malformed_secrets(world: Any) -> None:
    user = world.user("bht")
    token, secret = create_token(user, "Script", ["read"], 10)
    revoke_token(token, actor=user)
    assert authenticate_token(secret) is None
    assert authenticate_token(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert authenticate_token("not-a-token") is None
    assert authenticate_token("") is None
    assert authenticate_token(None) is None
    reasons = [e.detail["reason"] for e in token_events(outcome=Outcome.DENIED)]
    assert reasons == ["revoked", "unknown", "malformed", "malformed", "malformed"]
    assert ApiToken.objects.get(pk=token.pk).last_used_at is None


def test_authenticate_token_refuses_a_deactivated_owner(world: Any) -> None:
    user = world.user("bht")
    _, secret = create_token(user, "Script", ["read"], 10)
    user.is_active = False
    user.save()
    assert authenticate_token(secret) is None
    assert token_events(outcome=Outcome.DENIED)[-1].detail["reason"] == "inactive_user"


# --- Pages -----------------------------------------------------------------------------------


def test_the_nav_links_the_token_page(world: Any, signed_in: Any) -> None:
    html = signed_in("bht").get("/").content.decode()
    assert 'href="/account/tokens/"' in html


def test_the_create_form_is_labelled_and_defaults_to_30_days(world: Any, signed_in: Any) -> None:
    html = signed_in("bht").get("/account/tokens/new/").content.decode()
    assert '<label for="id_name"' in html
    assert 'value="read"' in html
    assert 'value="write"' in html
    assert 'name="days" value="30"' in html
    assert 'max="90"' in html


def test_creating_a_token_shows_the_secret_once(world: Any, signed_in: Any) -> None:
    client = signed_in("nurse")
    response = client.post(
        "/account/tokens/new/", {"name": "Board sync", "scopes": ["read"], "days": "14"}
    )
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get()
    html = response.content.decode()
    secret = html.split('id="token-secret" class="secret" value="')[1].split('"')[0]
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert "shown only this once" in html
    listing = client.get("/account/tokens/").content.decode()
    assert "Board sync" in listing
    assert secret not in listing
    assert token.expires_at - token.created_at == timedelta(days=14)
    assert token.user == world.user("nurse")


def test_a_bad_create_form_shows_errors_and_stores_nothing(world: Any, signed_in: Any) -> None:
    response = signed_in("bht").post("/account/tokens/new/", {"name": "", "days": "120"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Name the token" in html
    assert "Choose read, write, or both." in html
    assert "A token lasts at most 90 days." in html
    assert 'aria-invalid="true"' in html
    assert not ApiToken.objects.exists()


def test_the_list_shows_each_state_in_text_and_only_ones_own(world: Any, signed_in: Any) -> None:
    user = world.user("bht")
    with time_machine.travel(T0 - timedelta(days=10), tick=False):
        create_token(user, "Old one", ["read"], 1)
    revoked, _ = create_token(user, "Gone one", ["read"], 30)
    revoke_token(revoked, actor=user)
    create_token(user, "Live one", ["read", "write"], 30)
    create_token(world.user("nurse"), "Not yours", ["read"], 30)
    html = signed_in("bht").get("/account/tokens/").content.decode()
    for text in ("Old one", "Gone one", "Live one", "Active", "Expired", "Revoked", "read, write"):
        assert text in html
    assert "Not yours" not in html
    # Only the active token can be revoked.
    assert html.count("/revoke/") == 1


def test_revoking_from_the_page(world: Any, signed_in: Any) -> None:
    client = signed_in("bht")
    token, secret = create_token(world.user("bht"), "Script", ["read"], 30)
    url = f"/account/tokens/{token.public_id}/revoke/"
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == "/account/tokens/"
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert authenticate_token(secret) is None
    again = client.post(url, follow=True)
    assert "already revoked" in again.content.decode()


def test_another_persons_token_answers_404(world: Any, signed_in: Any) -> None:
    token, _ = create_token(world.user("nurse"), "Hers", ["read"], 30)
    response = signed_in("bht").post(f"/account/tokens/{token.public_id}/revoke/")
    assert response.status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_an_account_without_a_staff_profile_gets_403(db: Any) -> None:
    user = get_user_model().objects.create_user(username="loose", password="x" * 20)
    client = Client()
    client.force_login(user)
    assert client.get("/account/tokens/").status_code == 403
    assert client.post("/account/tokens/new/", {"name": "x"}).status_code == 403
