"""Two organizations in one database (people.tenancy): what the recovery app shares between them
is reference data (the resource directory, instruments, activity and reason lists), read by
every organization's staff and changed, where the installation serves several organizations,
only by its operator (``people.services.may_change_shared``). The permission matrix
(core/tests/test_matrix.py) asks every route as another organization's staff; these are the
writes that name no record of the other organization and still reach it."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied

from conftest import client_of
from pillars.people.testing import Elsewhere, World
from pillars.recovery.hsds import sample
from pillars.recovery.models import HsdsService
from pillars.recovery.services import directory as directory_services

pytestmark = pytest.mark.django_db


def _package(n: int = 3) -> dict[str, bytes]:
    return sample.csv_files(sample.rows(n))


def test_one_organizations_administrator_does_not_rewrite_the_shared_directory(
    world: World, elsewhere: Elsewhere
) -> None:
    """The directory every organization's staff search and refer persons to is written only by
    the installation's operator: another organization's administrator (or this one's) may
    check a package, not import it."""
    for admin in (elsewhere.staff["admin"].user, world.user("admin")):
        with pytest.raises(PermissionDenied):
            directory_services.import_package(_package(), actor=admin, commit=True)
        with pytest.raises(PermissionDenied):
            directory_services.import_package(_package(), actor=admin, hold=True)
        assert directory_services.import_package(_package(), actor=admin).ok  # a check only
    assert not HsdsService.objects.exists()
    # The upload page refuses before anything is held for confirmation.
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        for name, data in _package().items():
            z.writestr(name, data)
    archive.seek(0)
    archive.name = "pkg.zip"
    response = client_of(elsewhere.staff["admin"]).post(
        "/recovery/directory/import/", {"package": archive}
    )
    assert response.status_code == 403
    assert not HsdsService.objects.exists()
    # The installation's operator imports it for everyone.
    operator = world.staff["admin"].user
    operator.is_superuser = True
    operator.save(update_fields=["is_superuser"])
    report = directory_services.import_package(_package(), actor=operator, commit=True)
    assert report.committed
    assert HsdsService.objects.count() == 3
