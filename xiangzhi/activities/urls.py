from django.urls import path

from xiangzhi.activities import views

app_name = "activities"
urlpatterns = [
    path("", views.activity_list, name="list"),
    path("new/", views.activity_new, name="new"),
    path("villages/", views.village_table, name="villages"),
    path("<int:activity_id>/", views.activity_detail, name="detail"),
    path("<int:activity_id>/signup/", views.activity_signup, name="signup"),
    path("<int:activity_id>/households/", views.signup_households, name="households"),
    path("<int:activity_id>/signups/<int:signup_id>/withdraw/", views.signup_withdraw, name="withdraw"),
    path("<int:activity_id>/signups/<int:signup_id>/check-in/", views.signup_check_in, name="signup_check_in"),
    path("<int:activity_id>/check-in/", views.activity_check_in, name="check_in"),
    path("<int:activity_id>/award/", views.activity_award, name="award"),
    path("<int:activity_id>/close/", views.activity_close, name="close"),
    path("<int:activity_id>/cancel/", views.activity_cancel, name="cancel"),
]
