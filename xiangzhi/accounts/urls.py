from django.urls import path

from xiangzhi.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("me/", views.me, name="me"),
    path("me/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("signup/", views.signup, name="signup"),
    path("login/sms/", views.login_sms, name="login_sms"),
    path("pending/", views.pending, name="pending"),
    path("signups/", views.signups, name="signups"),
    path("signups/<int:signup_id>/", views.signup_detail, name="signup_detail"),
    path("signups/<int:signup_id>/decide/", views.signup_decide, name="signup_decide"),
    path("family/", views.family, name="family"),
]
