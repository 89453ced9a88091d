from django.urls import path

from . import portal_views, views

app_name = "remote"
# Staff pages, under /gestion/telemaintenance/ (namespace "remote").
urlpatterns = [
    path("", views.SessionListView.as_view(), name="list"),
    path("export.csv", views.SessionListCSVView.as_view(), name="list-csv"),
    path("rapports/", views.ReportView.as_view(), name="reports"),
    path("rapports/csv/", views.ReportCSVView.as_view(), name="reports-csv"),
    path("demander/<str:reference>/", views.RequestSessionView.as_view(), name="request"),
    path("<int:pk>/", views.SessionDetailView.as_view(), name="session"),
    path("<int:pk>/direct/", views.SessionLiveView.as_view(), name="live"),
    path("<int:pk>/fermeture/", views.RequestCloseView.as_view(), name="request-close"),
    path("<int:pk>/preuve.pdf", views.SessionPdfView.as_view(), name="pdf"),
]
# Member portal pages, under /portail/telemaintenance/ (namespace "remote-portal").
portal_urlpatterns = [
    path("", portal_views.SessionListView.as_view(), name="list"),
    path(
        "demande/<str:reference>/",
        portal_views.TicketSessionsView.as_view(),
        name="ticket-panel",
    ),
    path("<uuid:token>/", portal_views.SessionView.as_view(), name="session"),
    path("<uuid:token>/accepter/", portal_views.AcceptView.as_view(), name="accept"),
    path("<uuid:token>/refuser/", portal_views.RefuseView.as_view(), name="refuse"),
    path("<uuid:token>/presence/", portal_views.PresenceView.as_view(), name="presence"),
    path("<uuid:token>/relais/", portal_views.HandoverView.as_view(), name="handover"),
    path("<uuid:token>/terminer/", portal_views.CloseView.as_view(), name="close"),
    path("<uuid:token>/preuve.pdf", portal_views.ProofPdfView.as_view(), name="pdf"),
]
