"""The lists' words: the fields a county starts with, the names people type for departments, levels and
sides (a spreadsheet says 「综合执法」 or 「村」, the database keeps ``enforcement`` or ``village``), and
what an item of a duty list means for routing."""

from xiangzhi.duties.models import Level, ListKind, PowerSide, TownshipRole
from xiangzhi.regions.models import Department

# The fields (领域) a county's first version of each list starts with (seed 003: the duty list's 7 fields,
# the territorial list's 14); a draft edits them.
DEFAULT_FIELDS: dict[str, list[str]] = {
    ListKind.POWER: ["重大事项决策", "村级工程项目", "集体资金管理", "集体资产资源", "便民服务", "村务管理"],
    ListKind.DUTY: ["基层党建", "经济发展", "乡村振兴", "民生保障", "平安建设", "生态环保", "社会治理"],
    ListKind.TERRITORIAL: ["民生保障", "安全生产", "生态环境", "自然资源", "农业农村", "市场监管", "城乡建设",
                           "交通运输", "水利水务", "卫生健康", "教育文化", "社会治安", "信访维稳", "电力能源"],
}

DEPARTMENT_NAMES: dict[str, str] = dict(Department.Kind.choices)
LEVEL_NAMES: dict[str, str] = dict(Level.choices)
# An organisation (承担机构) that is no department is a level: the grid, the village, the township, the county.
ORGANISATION_LEVELS = (Level.GRID, Level.VILLAGE, Level.TOWNSHIP, Level.COUNTY)

_LEVEL_WORDS = {
    "网格": Level.GRID, "微网格": Level.GRID, "村": Level.VILLAGE, "社区": Level.VILLAGE, "村居": Level.VILLAGE,
    "村（社区）": Level.VILLAGE, "村(社区)": Level.VILLAGE, "村两委": Level.VILLAGE, "乡镇": Level.TOWNSHIP,
    "街道": Level.TOWNSHIP, "乡镇（街道）": Level.TOWNSHIP, "乡镇(街道)": Level.TOWNSHIP, "职能部门": Level.DEPARTMENT,
    "部门": Level.DEPARTMENT, "区县": Level.COUNTY, "县": Level.COUNTY, "区": Level.COUNTY, "县级": Level.COUNTY,
}
_SIDE_WORDS = {"正面": PowerSide.ALLOWED, "正面清单": PowerSide.ALLOWED, "可为": PowerSide.ALLOWED,
               "负面": PowerSide.FORBIDDEN, "负面清单": PowerSide.FORBIDDEN, "禁止": PowerSide.FORBIDDEN}
_ROLE_WORDS = {"牵头": TownshipRole.LEAD, "主体责任": TownshipRole.LEAD, "主体": TownshipRole.LEAD,
               "配合": TownshipRole.COOPERATE, "配合责任": TownshipRole.COOPERATE}


def _department_kind(text: str) -> str | None:
    for value, label in Department.Kind.choices:
        if text in (value, label):
            return str(value)
    return None


def parse_department(text: str) -> str | None:
    """A department kind from its code or name (综合执法, 市场监管, 派出所…); None for anything else."""
    return _department_kind(text.strip())


def parse_level(text: str) -> str | None:
    text = text.strip()
    if text in Level.values:
        return text
    return next((v for v, label in Level.choices if label == text), None) or _LEVEL_WORDS.get(text)


def parse_organisation(text: str) -> str | None:
    """承担机构: a department kind, or a level other than 职能部门 (网格, 村, 乡镇, 区县)."""
    text = text.strip()
    kind = _department_kind(text)
    if kind is not None:
        return kind
    level = parse_level(text)
    return level if level in ORGANISATION_LEVELS else None


def parse_side(text: str) -> str | None:
    text = text.strip()
    if text in PowerSide.values:
        return text
    return next((v for v, label in PowerSide.choices if label == text), None) or _SIDE_WORDS.get(text)


def parse_role(text: str) -> str | None:
    text = text.strip()
    if text in TownshipRole.values:
        return text
    return next((v for v, label in TownshipRole.choices if label == text), None) or _ROLE_WORDS.get(text)


def organisation_name(code: str) -> str:
    return DEPARTMENT_NAMES.get(code) or LEVEL_NAMES.get(code) or code


def route_of(kind: str, *, organisation: str = "", handling_level: str = "", township_role: str = "",
             department_kind: str = "") -> tuple[str, str]:
    """(handling level, department kind) a duty or territorial item sends its categories to. A duty goes
    to its handling level (by default: a department's items to 职能部门, a level's to that level) and, at
    the department level, to its organisation's kind; a territorial item the township leads stays with the
    township, one it cooperates on goes to the department in charge."""
    if kind == ListKind.TERRITORIAL:
        if township_role == TownshipRole.LEAD:
            return Level.TOWNSHIP, department_kind
        return Level.DEPARTMENT, department_kind
    department = organisation if organisation in DEPARTMENT_NAMES else ""
    return handling_level or (Level.DEPARTMENT if department else organisation), department
