from django.urls import path

from . import portal_views, views

app_name = "inventory"
# Staff pages (namespace "inventory"), under /gestion/parc/.
urlpatterns = [
    path("", views.DeclarationQueueView.as_view(), name="queue"),
    path("declarations/<int:pk>/", views.DeclarationDetailView.as_view(), name="declaration"),
    path(
        "declarations/<int:pk>/examiner/",
        views.DeclarationReviewView.as_view(),
        name="declaration-review",
    ),
    path("conformite/", views.ComplianceReportView.as_view(), name="compliance"),
    path("versions/", views.OutdatedReportView.as_view(), name="outdated"),
    path("versions/notifier/", views.OutdatedNotifyView.as_view(), name="outdated-notify"),
    path("import/", views.ImportView.as_view(), name="import"),
    path("licences/<int:pk>/", views.LicenceRevealView.as_view(), name="licence-reveal"),
    path("adherents/<int:member>/", views.MemberInventoryView.as_view(), name="member"),
    path(
        "adherents/<int:member>/postes/nouveau/",
        views.WorkstationFormView.as_view(),
        name="workstation-create",
    ),
    path(
        "adherents/<int:member>/postes/<int:pk>/",
        views.WorkstationFormView.as_view(),
        name="workstation-edit",
    ),
    path(
        "adherents/<int:member>/postes/<int:pk>/supprimer/",
        views.WorkstationDeleteView.as_view(),
        name="workstation-delete",
    ),
    path(
        "adherents/<int:member>/logiciels/nouveau/",
        views.InstallationFormView.as_view(),
        name="installation-create",
    ),
    path(
        "adherents/<int:member>/logiciels/<int:pk>/",
        views.InstallationFormView.as_view(),
        name="installation-edit",
    ),
    path(
        "adherents/<int:member>/logiciels/<int:pk>/supprimer/",
        views.InstallationDeleteView.as_view(),
        name="installation-delete",
    ),
]
# Member portal pages (namespace "inventory-portal"), under /portail/parc/.
portal_urlpatterns = [
    path("", portal_views.PortalInventoryView.as_view(), name="home"),
    path("declarer/<slug:kind>/", portal_views.PortalDeclareView.as_view(), name="declare"),
    path(
        "declarations/<int:pk>/", portal_views.PortalDeclarationView.as_view(), name="declaration"
    ),
]
