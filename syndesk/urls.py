from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from syndesk.billing.urls import portal_urlpatterns as billing_portal_urlpatterns
from syndesk.catalog.urls import public_urlpatterns as tariff_urlpatterns
from syndesk.contracts.urls import portal_urlpatterns as contract_portal_urlpatterns
from syndesk.core import mfa_views
from syndesk.core.views import AccountActivateView
from syndesk.desk.urls import portal_urlpatterns as desk_portal_urlpatterns
from syndesk.inventory.urls import portal_urlpatterns as inventory_portal_urlpatterns
from syndesk.kb.urls import portal_urlpatterns as kb_portal_urlpatterns
from syndesk.kb.urls import public_urlpatterns as kb_public_urlpatterns
from syndesk.members.urls import portal_urlpatterns
from syndesk.news.urls import portal_urlpatterns as news_portal_urlpatterns
from syndesk.news.urls import public_urlpatterns as news_public_urlpatterns
from syndesk.remote.urls import portal_urlpatterns as remote_portal_urlpatterns

auth_patterns = [
    path("connexion/", mfa_views.MfaLoginView.as_view(), name="login"),
    path("connexion/code/", mfa_views.LoginCodeView.as_view(), name="login-code"),
    # The admin's own login form would skip the second factor: it sends to ours instead.
    path("admin/login/", mfa_views.admin_login),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("mot-de-passe/modifier/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "mot-de-passe/modifie/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "mot-de-passe/oublie/",
        auth_views.PasswordResetView.as_view(
            extra_email_context={
                "syndicate": settings.SYNDICATE,
                "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
            }
        ),
        name="password_reset",
    ),
    path(
        "mot-de-passe/oublie/envoye/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        # Never log in from the reset link: that would skip the second factor.
        auth_views.PasswordResetConfirmView.as_view(post_reset_login=False),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/nouveau/fait/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("compte/activer/<uidb64>/<token>/", AccountActivateView.as_view(), name="activate"),
    path("compte/double-authentification/", mfa_views.MfaSettingsView.as_view(), name="mfa"),
    path(
        "compte/double-authentification/codes/",
        mfa_views.BackupCodesView.as_view(),
        name="mfa-codes",
    ),
]

urlpatterns = [
    *auth_patterns,
    path("", include("syndesk.web.urls")),
    path("", include("syndesk.web.site_urls")),
    path("tarifs/", include((tariff_urlpatterns, "tariffs"))),
    path("", include((news_public_urlpatterns, "news-public"))),
    path("portail/flux/", include((news_portal_urlpatterns, "news-portal"))),
    path("gestion/actualites/", include("syndesk.news.urls")),
    path("portail/demandes/", include((desk_portal_urlpatterns, "desk-portal"))),
    path("gestion/assistance/", include("syndesk.desk.urls")),
    path("fiches/", include((kb_public_urlpatterns, "kb-public"))),
    path("gestion/fiches/", include("syndesk.kb.urls")),
    path("portail/fiches/", include((kb_portal_urlpatterns, "kb-portal"))),
    path("portail/", include((portal_urlpatterns, "member-portal"))),
    path("portail/contrat/", include((contract_portal_urlpatterns, "contract-portal"))),
    path("gestion/adherents/", include("syndesk.members.urls")),
    path("gestion/catalogue/", include("syndesk.catalog.urls")),
    path("gestion/contrats/", include("syndesk.contracts.urls")),
    path("portail/factures/", include((billing_portal_urlpatterns, "billing-portal"))),
    path("gestion/facturation/", include("syndesk.billing.urls")),
    path("portail/telemaintenance/", include((remote_portal_urlpatterns, "remote-portal"))),
    path("gestion/telemaintenance/", include("syndesk.remote.urls")),
    path("portail/parc/", include((inventory_portal_urlpatterns, "inventory-portal"))),
    path("gestion/parc/", include("syndesk.inventory.urls")),
    path("", include("syndesk.ops.urls")),
    path("gestion/", include("syndesk.core.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

# Uploaded files (signed documents, letters) are never served as public /media/ URLs: each
# app serves its files through a view that checks who may see them.
