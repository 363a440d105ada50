from pillars.audit import views

app_name = "audit"

urlpatterns = views.route.patterns
