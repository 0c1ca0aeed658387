"""The project board: proposal to acceptance (PRJ-1…5)."""

from specialops.areas import Area

AREA = Area(
    name="projects",
    label="Projects",
    label_zh="項目",
    package=__name__,
    needs=("people",),
    registers=("workflow", "actions", "entities", "queries", "feeds", "demo"),
    permissions={
        "project.propose": "file a project proposal",
        "project.approve": "approve, reject, hold or cancel projects",
        "project.manage": "manage a project's plan and execution",
        "project.review": "review and confirm project plans",
        "project.progress": "report progress on project tasks",
        "project.accept": "give acceptance opinions",
        "project.close": "close projects",
    },
    grants={
        "project.propose": ("executive", "manager", "staff"),
        "project.approve": ("executive",),
        "project.manage": ("manager",),
        "project.review": ("executive", "manager"),
        "project.progress": ("manager", "staff"),
        "project.accept": ("executive",),
        "project.close": ("executive",),
    },
    ui="specialops.screens.projects",
)
