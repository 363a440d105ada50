"""The alert inbox, mounted at ``rounds/``: its paths are the ones pages, bookmarks and the
board's poll have used since the inbox lived in rounds."""

from django.urls import path

from pillars.people import inbox_views

app_name = "alerts"

urlpatterns = [
    path("inbox/", inbox_views.inbox, name="inbox"),
    path("inbox/count/", inbox_views.inbox_count, name="inbox-count"),
    path("alerts/<uuid:public_id>/acknowledge/", inbox_views.alert_ack, name="alert-ack"),
]
