"""A resident logs in with his phone number where the login form asks for a username."""

from django.contrib.auth.backends import ModelBackend

from xiangzhi.accounts.models import User
from xiangzhi.accounts.services import phone_clean
from xiangzhi.core.errors import Invalid
from xiangzhi.lib import crypto


class PhonePasswordBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        try:
            phone = phone_clean(username)
        except Invalid:
            return None
        # A number two accounts share opens neither: only their usernames tell them apart.
        users = list(User.objects.filter(phone_hash=crypto.lookup_hash(phone))[:2])
        if len(users) != 1:
            User().set_password(password)  # the same work as a real check, so timing tells nothing
            return None
        user = users[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
