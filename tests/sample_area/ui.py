"""The sample area's screen."""

from textual.app import ComposeResult
from textual.widgets import Static

from specialops.screens.shell.base import AreaScreen
from specialops.screens.shell.registry import ScreenEntry


class SamplesScreen(AreaScreen):
    AREA_TITLE = "Samples 樣本"

    def compose_body(self) -> ComposeResult:
        yield Static("samples", id="samples")


def headline(store, actor) -> str | None:
    return "3 samples"


UI = ScreenEntry(
    key="samples",
    name="Samples",
    name_zh="樣本",
    number="9",
    screen=f"{__name__}:SamplesScreen",
    permission="sample.read",
    headline=f"{__name__}:headline",
)
