"""Two villagers of the first village who signed themselves up and wait for the village cadre: one
whose ID number the register knows, one who gave only his householder's name."""

from xiangzhi.accounts.models import SmsCode, User
from xiangzhi.accounts.services import SignupDetails, signup_create, sms_code_send
from xiangzhi.lib import crypto
from xiangzhi.people.models import Household, Resident
from xiangzhi.regions.models import Region, RegionLevel

PHONES = ("13905430001", "13905430002")


def write_signups(password: str) -> list[User]:
    """The applicants' accounts; each opens with ``password`` (or by SMS code) on its phone number."""
    village = Region.objects.filter(level=RegionLevel.VILLAGE).order_by("code").first()
    if village is None:
        return []
    households = list(Household.objects.filter(grid__path__startswith=village.path).order_by("number")[:6])
    member = Resident.objects.filter(household=households[0]).exclude(relation="head").order_by("pk").first()
    if member is None or len(households) < 6:
        return []
    applicants = [
        (PHONES[0], member.name, crypto.decrypt(member.id_number_encrypted), ""),
        (PHONES[1], households[5].head_name[0] + "小军", "", households[5].head_name),
    ]
    users = []
    for phone, name, id_number, head in applicants:
        code = sms_code_send(phone=phone, purpose=SmsCode.Purpose.SIGNUP)
        users.append(signup_create(phone=phone, code=code, password=password, details=SignupDetails(
            village_id=village.pk, full_name=name, id_number=id_number, head_name=head, note="网上注册（演示）")).user)
    return users
