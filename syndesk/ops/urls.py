from django.urls import path

from . import views

app_name = "ops"
# Operational endpoints, mounted at the site root: the health check and the managers'
# page of background tasks.
urlpatterns = [
    path("sante/", views.health_view, name="health"),
    path("gestion/taches/", views.TaskListView.as_view(), name="tasks"),
    path("gestion/taches/<uuid:pk>/relancer/", views.TaskRetryView.as_view(), name="task-retry"),
]
