"""The risk register: identification to early warning (RSK-1…4)."""

from specialops.areas import Area

AREA = Area(
    name="risks",
    label="Risks",
    label_zh="風險",
    package=__name__,
    needs=("people",),
    registers=("actions", "entities", "feeds", "demo"),
    cli="cli:risks_app",
    permissions={
        "risk.manage": "identify, assess and respond to risks",
        "risk.configure": "change the risk matrix and categories",
    },
    grants={
        "risk.manage": ("manager", "staff"),
        "risk.configure": (),
    },
    ui="specialops.screens.risks",
)
