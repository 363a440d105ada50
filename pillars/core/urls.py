from django.urls import path

from pillars.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("account/sign-in/", views.SignInView.as_view(), name="login"),
    path("account/sign-out/", views.sign_out, name="logout"),
    path("account/two-factor/", views.two_factor, name="two-factor"),
]
