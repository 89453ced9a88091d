from django.urls import path

from . import views

app_name = "members"
urlpatterns = [
    path("", views.MemberListView.as_view(), name="list"),
    path("nouveau/", views.MemberFormView.as_view(), name="create"),
    path("import/", views.MemberImportView.as_view(), name="import"),
    path("<int:pk>/", views.MemberDetailView.as_view(), name="detail"),
    path("<int:pk>/modifier/", views.MemberFormView.as_view(), name="edit"),
    path("<int:pk>/contacts/nouveau/", views.ContactFormView.as_view(), name="contact-create"),
    path("<int:pk>/contacts/<int:contact>/", views.ContactFormView.as_view(), name="contact-edit"),
    path(
        "<int:pk>/contacts/<int:contact>/supprimer/",
        views.ContactDeleteView.as_view(),
        name="contact-delete",
    ),
    path("<int:pk>/inviter/", views.InviteView.as_view(), name="invite"),
    path(
        "<int:pk>/acces/<int:membership>/retirer/",
        views.RevokeMembershipView.as_view(),
        name="revoke",
    ),
]

portal_urlpatterns = [
    path("organisation/", views.PortalMemberView.as_view(), name="home"),
    path("organisation/changer/", views.SwitchMemberView.as_view(), name="switch"),
]
