from django.urls import path

from . import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("apres-connexion/", views.after_login, name="after-login"),
    path("portail/", views.PortalHomeView.as_view(), name="portal"),
    path("gestion/", views.StaffHomeView.as_view(), name="staff"),
]
