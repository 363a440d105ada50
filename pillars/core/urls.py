from pillars.core import views

app_name = "core"

urlpatterns = views.route.patterns
