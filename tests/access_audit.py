"""The access matrix's rows for the audit trail (审计, in the command centre), each a (method, url, body,
roles that may) for the small county ``c``; gathered by ``tests/test_access.py``. The county's administrator
and each township's 综治中心 staff read it (each township its own events: ``centre/tests/test_audit_page.py``);
nobody else."""


def audit_cases(c):
    readers = {"county_admin", "township_staff", "township_staff_b"}
    return [
        ("get", "/centre/audit/", None, readers),
        ("get", "/centre/audit/?action=reveal&start=2025-01-01", None, readers),
        ("get", "/centre/audit/export.xlsx", None, readers),
    ]
