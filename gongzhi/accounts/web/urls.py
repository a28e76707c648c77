from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("estates/", views.estate_picker, name="estates"),
    path("tokens/", views.tokens, name="tokens"),
    path("password/", views.password_change, name="password"),
]
