from django.urls import path

from pillars.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("account/sign-in/", views.SignInView.as_view(), name="login"),
    path("account/sign-out/", views.sign_out, name="logout"),
    path("account/two-factor/", views.two_factor, name="two-factor"),
    path("account/still-here/", views.still_here, name="still-here"),
    path("account/tokens/", views.token_list, name="token-list"),
    path("account/tokens/new/", views.token_create, name="token-create"),
    path("account/tokens/<uuid:public_id>/revoke/", views.token_revoke, name="token-revoke"),
]
