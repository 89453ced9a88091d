from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("personnel/", views.StaffListView.as_view(), name="staff-list"),
    path("personnel/nouveau/", views.StaffCreateView.as_view(), name="staff-create"),
    path("personnel/<int:pk>/", views.StaffUpdateView.as_view(), name="staff-edit"),
    path(
        "personnel/<int:pk>/double-authentification/",
        views.StaffMfaResetView.as_view(),
        name="staff-mfa-reset",
    ),
    path("fermetures/", views.ClosureDayView.as_view(), name="closures"),
]
