from django.urls import path

from xiangzhi.system import views

app_name = "system"

urlpatterns = [
    path("status/", views.status, name="status"),
]
