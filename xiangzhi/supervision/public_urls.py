"""The addresses behind a village's QR code, short enough for an SMS: ``/v/<code>/…`` from the poster,
``/q/<link>/`` an asker's question, ``/c/<link>/`` a reporter's case. The village page itself,
``/v/<code>/``, is the web shell's (``front/urls.py``)."""

from django.urls import path

from xiangzhi.supervision import public_views

app_name = "village"
urlpatterns = [
    path("v/<str:token>/ask/", public_views.ask, name="ask"),
    path("v/<str:token>/report/", public_views.report_new, name="report_new"),
    path("v/<str:token>/questions/", public_views.questions, name="questions"),
    path("q/<str:token>/", public_views.question, name="question"),
    path("c/<str:token>/", public_views.report, name="report"),
    path("c/<str:token>/evaluate/", public_views.report_evaluate, name="evaluate"),
    path("c/<str:token>/photos/<int:photo_id>/", public_views.report_photo, name="photo"),
    path("c/<str:token>/photos/<int:photo_id>/thumb/", public_views.report_photo, {"thumb": True}, name="thumb"),
    path("qr/<str:village_code>.svg", public_views.qr, name="qr"),
]
