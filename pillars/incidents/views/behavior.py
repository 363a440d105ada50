"""Pages of the behavior area."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
