"""The project board: the area's entry in the app."""

from specialops.screens.shell.registry import ScreenEntry

UI = ScreenEntry(
    key="projects",
    name="Projects",
    name_zh="項目看板",
    number="2",
    screen="specialops.screens.projects.board:ProjectBoardScreen",
    permission="records.read",
    headline="specialops.areas.projects.queries:headline",
)
