"""Import/export descriptions of projects, tasks and milestones (SPEC §9.1 field names)."""

from __future__ import annotations

from specialops.areas.projects.models import Milestone, Project, ProjectTask
from specialops.entities import Choice, EntitySpec, FieldSpec, register

ORIGIN_CHOICES = (
    Choice("strategy", "公司戰略", "公司战略"),
    Choice("market", "市場需求", "市场需求"),
    Choice("customer", "客戶要求", "客户要求"),
)
STAGE_CHOICES = (
    Choice("proposed", "立項申請", "立项申请"),
    Choice("approved", "已批准", "已批准"),
    Choice("planning", "計劃制定", "计划制定"),
    Choice("plan-review", "計劃評審", "计划评审"),
    Choice("executing", "執行中", "执行中"),
    Choice("pre-acceptance", "預驗收", "预验收"),
    Choice("acceptance", "驗收", "验收"),
    Choice("rectification", "整改", "整改"),
    Choice("closed", "已結項", "已结项"),
    Choice("rejected", "已駁回", "已驳回"),
    Choice("returned", "退回修改", "退回修改"),
    Choice("on-hold", "暫停", "暂停"),
    Choice("cancelled", "已取消", "已取消"),
)
TASK_STATUS_CHOICES = (
    Choice("todo", "未開始", "未开始"),
    Choice("in_progress", "進行中", "进行中"),
    Choice("blocked", "受阻", "受阻"),
    Choice("done", "已完成", "已完成"),
    Choice("cancelled", "已取消", "已取消"),
)

PROJECTS = register(
    EntitySpec(
        "projects",
        Project,
        key="code",
        label="項目",
        fields=(
            FieldSpec("code", max_length=16, help="PRJ-0001; empty on new rows to get a new code"),
            FieldSpec("name", required=True, max_length=200, help="project name"),
            FieldSpec("department", "ref", ref="departments", help="owning department code"),
            FieldSpec(
                "origin", "choice", choices=ORIGIN_CHOICES, help="where the project came from"
            ),
            FieldSpec("background", help="background of the proposal"),
            FieldSpec("objectives", help="objectives"),
            FieldSpec("expected_results", help="expected results"),
            FieldSpec("budget", "money", min=0, help="preliminary budget, e.g. 1250000.00"),
            FieldSpec("start_date", "date", help="planned start"),
            FieldSpec("end_date", "date", help="planned end"),
            FieldSpec(
                "stage",
                "choice",
                choices=STAGE_CHOICES,
                workflow="projects",
                help="new rows start as proposed; later stages through the project workflow",
            ),
            FieldSpec("manager", "ref", ref="users", help="the project manager's login"),
        ),
    )
)

TASKS = register(
    EntitySpec(
        "tasks",
        ProjectTask,
        key="code",
        label="任務",
        fields=(
            FieldSpec("code", max_length=16, help="TSK-00001; empty on new rows to get a new code"),
            FieldSpec("project", "ref", required=True, ref="projects", help="project code"),
            FieldSpec("title", required=True, max_length=200, help="what is to be done"),
            FieldSpec("owner", "ref", ref="users", help="the owner's login"),
            FieldSpec("start_date", "date", help="planned start"),
            FieldSpec("due_date", "date", help="due date"),
            FieldSpec("status", "choice", choices=TASK_STATUS_CHOICES, help="defaults to todo"),
            FieldSpec("percent_complete", "percent", min=0, max=100, help="0 to 100"),
            FieldSpec("deliverable", help="what the task delivers"),
            FieldSpec("acceptance_criteria", help="how the deliverable is accepted"),
        ),
    )
)

MILESTONES = register(
    EntitySpec(
        "milestones",
        Milestone,
        key="code",
        label="里程碑",
        fields=(
            FieldSpec("code", max_length=16, help="MS-00001; empty on new rows to get a new code"),
            FieldSpec("project", "ref", required=True, ref="projects", help="project code"),
            FieldSpec("name", required=True, max_length=200, help="milestone name"),
            FieldSpec("due_date", "date", required=True, help="due date"),
            FieldSpec("achieved_date", "date", help="when it was achieved (empty: not yet)"),
        ),
    )
)
