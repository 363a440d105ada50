"""The alert inbox, mounted at ``rounds/``: its paths are the ones pages, bookmarks and the
board's poll have used since the inbox lived in rounds."""

from pillars.people import inbox_views

app_name = "alerts"

urlpatterns = inbox_views.route.patterns
