"""The survey-readiness packet's pages: what it holds for a stay, and the PDF."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from pillars.core.pages import GET, page
from pillars.core.routes import Routes
from pillars.insights import packet
from pillars.people.models import Episode
from pillars.people.selectors import get_person_for

route = Routes()

app_name = "insights-packet"


def _episode_for(request: HttpRequest, public_id: UUID, what: str) -> Episode:
    """The stay, when its person is in the reader's scope and the reader may print packets
    (404 / 403 otherwise; get_person_for audits the read)."""
    episode = Episode.objects.select_related("person").filter(public_id=public_id).first()
    if episode is None:
        raise Http404("Not found")
    get_person_for(request.user, episode.person.public_id, packet.ACTION, what=what)
    return episode


@route("stays/<uuid:public_id>/packet/", name="packet")
@page("what a stay's survey packet holds (get_person_for audits the read)", GET, never_cache=True)
def packet_page(request: HttpRequest, public_id: UUID) -> HttpResponse:
    episode = _episode_for(request, public_id, "survey packet contents")
    stay = packet.gather(request.user, episode)
    return render(
        request,
        "insights/packet.html",
        {
            "episode": episode,
            "person": episode.person,
            "zone": stay.zone,
            "summary": packet.summary(stay),
            "withheld": sum(s.withheld for s in stay.sections),
        },
    )


@route("stays/<uuid:public_id>/packet.pdf", name="packet-pdf")
@page("the survey packet PDF; exports.release logs the export", GET, never_cache=True)
def packet_pdf(request: HttpRequest, public_id: UUID) -> HttpResponse:
    episode = _episode_for(request, public_id, "survey packet pdf")
    response = HttpResponse(packet.export(request.user, episode), content_type="application/pdf")
    # The file outlives the session in the workstation's downloads: its name says which stay
    # (the admission date and the start of the stay's public id), never who (no record number).
    name = f"survey-packet-{episode.admitted_at:%Y%m%d}-{str(episode.public_id)[:8]}"
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = route.patterns
