"""The access matrix's rows for 一村一码's staff side: the questions of a village to screen, answer and
withdraw, the village codes with their posters and re-issue, and the API; each a (method, url, body,
roles that may) for the small county ``c``, gathered by ``tests/test_access.py``. The village page and
its forms need no login and open the same for everyone: ``xiangzhi/supervision/tests``."""

from tests.factories import ALL_ROLES


def supervision_cases(c):
    from xiangzhi.supervision import services

    cadre = c.users["village_cadre"]

    def asked(text_, n, passed=False):
        q = services.question_ask(village=c.village_a1, text_=text_, submission_id=f"matrix-{n:04d}",
                                  address=f"10.9.0.{n}").question
        if passed:
            services.question_screen(question=q, actor=cadre, passed=True)
        return q

    read, screen_page, screen_api = asked("问一", 1), asked("问二", 2), asked("问三", 3)
    answer_page, answer_api = asked("问四", 4, passed=True), asked("问五", 5, passed=True)
    withdraw_page, withdraw_api = asked("问六", 6, passed=True), asked("问七", 7, passed=True)
    moderators = {"county_admin", "township_staff", "village_cadre"}  # over village a1
    listers = moderators | {"township_staff_b"}  # each lists his own villages' questions and codes
    issuers = {"county_admin", "township_staff"}
    a1 = c.village_a1.code
    api = "/api/v1/supervision"
    assert set(listers) <= set(ALL_ROLES)
    return [
        ("get", "/supervision/", None, listers),
        ("get", "/supervision/?state=overdue", None, listers),
        ("get", f"/supervision/questions/{read.pk}/", None, moderators),
        ("post", f"/supervision/questions/{screen_page.pk}/screen/", {"decision": "pass"}, moderators),
        ("post", f"/supervision/questions/{answer_page.pk}/answer/", {"answer": "已答复"}, moderators),
        ("post", f"/supervision/questions/{withdraw_page.pk}/withdraw/", {"reason": "内容过时"}, moderators),
        ("get", "/supervision/codes/", None, listers),
        ("get", f"/supervision/codes/{a1}/poster/", None, moderators),
        ("get", f"/supervision/codes/{c.village_b1.code}/poster/", None, {"county_admin", "township_staff_b"}),
        ("post", f"/supervision/codes/{a1}/reissue/", {"reason": "海报丢失"}, issuers),
        ("get", f"{api}/questions", None, listers),
        ("get", f"{api}/questions/counts", None, listers),
        ("get", f"{api}/questions/{read.pk}", None, moderators),
        ("post", f"{api}/questions/{screen_api.pk}/screen", {"passed": True}, moderators),  # then 409
        ("post", f"{api}/questions/{answer_api.pk}/answer", {"answer": "已答复"}, moderators),  # then 409
        ("post", f"{api}/questions/{withdraw_api.pk}/withdraw", {"reason": "内容过时"}, moderators),  # then 409
        ("get", f"{api}/codes", None, listers),
    ]
