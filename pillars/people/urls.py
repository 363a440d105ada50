from pillars.people import views
from pillars.people.consent_views import urlpatterns as consent_urls

app_name = "people"

urlpatterns = [
    *views.route.patterns,
    *consent_urls,
]
