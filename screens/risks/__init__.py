"""The risk register: the area's entry in the app."""

from specialops.screens.shell.registry import ScreenEntry

UI = ScreenEntry(
    key="risks",
    name="Risks",
    name_zh="風險",
    number="5",
    screen="specialops.screens.risks.register:RiskRegisterScreen",
    permission="records.read",
    headline="specialops.areas.risks.queries:headline",
)
