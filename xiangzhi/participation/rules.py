"""Who may send announcements and run polls, who keeps the evening meetings, who votes. Which audiences
and villages a user reaches is his scope: an audience is addressed only where his scope covers it."""

from xiangzhi.accounts.models import AnyUser, Role
from xiangzhi.accounts.rules import has_role
from xiangzhi.accounts.scope import scope_of

# Announcements and polls: the county, the township, the village's cadres and a grid's chief (001: the
# grid's 群主), each to audiences inside his scope.
SENDER_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE, Role.GRID_CHIEF})
# 民情恳谈 / 百姓夜话 are the village's evenings, recorded by its cadres or the township and county above.
MEETING_KEEPERS = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE})

# A ballot collected on paper door to door (the elderly without a phone) is entered by the village's
# cadres or the grid's staff, for households in their scope.
BALLOT_RECORDERS = frozenset({Role.VILLAGE_CADRE, Role.GRID_CHIEF, Role.GRID_WORKER})
# What goes on a village's public page is screened by the township's 综治中心 or the county above it, as
# 村务公开 is (no village screens its own notices); nobody screens what he sent himself.
SCREENER_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF})

can_send = has_role(*SENDER_ROLES)
can_keep_meetings = has_role(*MEETING_KEEPERS)
can_record_ballots = has_role(*BALLOT_RECORDERS)
can_screen = has_role(*SCREENER_ROLES)


def can_address(user: AnyUser, path: str) -> bool:
    """A sender whose scope covers the audience (its grid's or region's path)."""
    return can_send(user) and scope_of(user).covers_path(path)


def can_keep_meeting_in(user: AnyUser, village_path: str) -> bool:
    return can_keep_meetings(user) and scope_of(user).covers_path(village_path)


def can_vote(user: AnyUser) -> bool:
    """An account that stands for a person or a household on the register."""
    return user.is_authenticated and bool(getattr(user, "resident_id", None) or getattr(user, "household_id", None))


def can_see_participation(user: AnyUser) -> bool:
    """The 通知公告 and 民意调查 pages: senders, those who enter paper ballots, and anyone who can receive
    or vote."""
    return can_send(user) or can_record_ballots(user) or can_vote(user)


def can_record_ballot_for(user: AnyUser, household_grid_path: str) -> bool:
    return can_record_ballots(user) and scope_of(user).covers_path(household_grid_path)


def can_screen_in(user: AnyUser, path: str) -> bool:
    """A screener whose scope covers the item's audience (its grid's, village's or township's path)."""
    return can_screen(user) and scope_of(user).covers_path(path)


def may_screen(user: AnyUser, path: str, author_id: int | None) -> bool:
    """A screener over the item who did not send it himself."""
    return can_screen_in(user, path) and user.pk != author_id
