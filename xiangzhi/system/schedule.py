"""The platform's periodic tasks by name: what each is called on the status page and how often it runs.

``xiangzhi/system/tasks.py`` declares the schedules; this says what to expect of them, so the status page can
tell a sweep that is late from one that is merely not due.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Periodic:
    name: str
    label: str
    every_seconds: int  # the longest gap between two runs when all is well


MINUTE, HOUR, DAY = 60, 3600, 86400

PERIODIC = [
    Periodic("heartbeat", "后台任务心跳", MINUTE),
    Periodic("case_deadlines", "办件时限巡检（预警、超时、升级、归档）", MINUTE),
    Periodic("patrols_close_stale", "结束无人停止的巡查", 15 * MINUTE),
    Periodic("points_cycles", "积分周期推进", 10 * MINUTE),
    Periodic("inspection_tasks_overdue", "督查任务逾期标记", HOUR),
    Periodic("meeting_commitments_overdue", "报告会承诺逾期标记", HOUR),
    Periodic("category_suggester", "分类建议学习", DAY),
    Periodic("daily_upkeep", "每日维护（容量记录、清理错误记录）", DAY),
    Periodic("backup_daily", "每日备份（02:30 起，每刻钟看一次是否该备份）", 15 * MINUTE),
    Periodic("key_rotation_resume", "继续中断的密钥轮换", 5 * MINUTE),
]
BY_NAME = {p.name: p for p in PERIODIC}
