"""The shared unit tablet pages, mounted at ``account/`` beside sign-in: their paths are the
ones tablets have bookmarked since these pages lived in core."""

from pillars.people import tablet_views

app_name = "tablets"

urlpatterns = tablet_views.route.patterns
