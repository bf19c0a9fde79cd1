"""Staff phones move from plain text into the encrypted, hashed and masked columns; tokens issued before
tokens could expire get the usual lifetime from their issue date."""

import datetime as dt

from django.conf import settings
from django.db import migrations

from xiangzhi.lib import crypto, idnumber


def forwards(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    ApiToken = apps.get_model("accounts", "ApiToken")
    for user in User.objects.exclude(phone="").only("pk", "phone").iterator():
        phone = user.phone.strip()
        User.objects.filter(pk=user.pk).update(
            phone_encrypted=crypto.encrypt(phone), phone_hash=crypto.lookup_hash(phone),
            phone_masked=idnumber.mask_phone(phone),
        )
    lifetime = dt.timedelta(days=settings.API_TOKEN_DAYS)
    for token in ApiToken.objects.filter(expires_at__isnull=True).only("pk", "created_at").iterator():
        ApiToken.objects.filter(pk=token.pk).update(expires_at=token.created_at + lifetime)


def backwards(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for user in User.objects.exclude(phone_encrypted="").only("pk", "phone_encrypted").iterator():
        User.objects.filter(pk=user.pk).update(phone=crypto.decrypt(user.phone_encrypted))


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_user_phone_encrypted_token_expiry"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
