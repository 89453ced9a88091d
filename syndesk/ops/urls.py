app_name = "ops"
# Operational endpoints (health check), mounted at the site root.
urlpatterns: list = []
