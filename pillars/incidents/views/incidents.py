"""Pages of the incidents area."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
