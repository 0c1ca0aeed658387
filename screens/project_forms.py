"""Forms in modals for the project board: validated as you type, errors next to the field.

:class:`FormModal` shows labelled inputs, runs a ``check`` on every change
(the same pure check the service runs) and, on save, calls ``submit`` in a
thread worker. A :class:`ValidationError` naming a field is shown under it;
a stale save says who changed the record and offers to reload
(the modal then dismisses with :data:`RELOAD`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from specialops.errors import SpecialopsError, StaleRecordError, ValidationError
from specialops.screens.modals import ConfirmModal, one_line

RELOAD = "reload"


@dataclass(frozen=True)
class FormField:
    """One field of a form; ``lines`` fields take several lines of text."""

    name: str
    label: str
    value: str = ""
    placeholder: str = ""
    lines: bool = False


Check = Callable[[dict[str, str]], Mapping[str, str]]
Submit = Callable[[dict[str, str]], Any]


class FormModal(ModalScreen[Any]):
    """A form: F2 (or Ctrl+S, or Enter in the last line field) saves, Escape cancels."""

    DEFAULT_CSS = """
    FormModal { align: center middle; }
    FormModal > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    FormModal #form-title { text-style: bold; }
    FormModal VerticalScroll { height: auto; max-height: 18; }
    FormModal .form-label { margin-top: 0; color: $text-muted; }
    FormModal Input { height: 1; border: none; padding: 0 1; background: $boost; }
    FormModal Input:focus { background: $primary 30%; }
    FormModal TextArea { height: 4; border: none; background: $boost; }
    FormModal .form-error { color: $error; height: auto; }
    FormModal #form-message { color: $error; height: auto; }
    FormModal Horizontal { height: 1; margin-top: 1; align-horizontal: right; }
    FormModal Button { height: 1; min-width: 10; border: none; margin-left: 2; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel 取消", id="form.cancel"),
        Binding("f2,ctrl+s", "save", "Save 儲存 (F2)", id="form.save"),
    ]

    def __init__(
        self,
        title: str,
        fields: Sequence[FormField],
        submit: Submit,
        check: Check | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.fields = list(fields)
        self.submit = submit
        self.check = check
        self.saving = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, id="form-title", markup=False)
            with VerticalScroll():
                for f in self.fields:
                    yield Label(f.label, classes="form-label", markup=False)
                    if f.lines:
                        yield TextArea(f.value, id=f"field-{f.name}", soft_wrap=True)
                    else:
                        yield Input(f.value, placeholder=f.placeholder, id=f"field-{f.name}")
                    yield Static("", id=f"error-{f.name}", classes="form-error", markup=False)
            yield Static("", id="form-message", markup=False)
            with Horizontal():
                yield Button("Save 儲存 F2", id="form-save", variant="primary")
                yield Button("Cancel 取消 Esc", id="form-cancel")

    def on_mount(self) -> None:
        if self.fields:
            self.query_one(f"#field-{self.fields[0].name}").focus()
        self._validate()

    def values(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for f in self.fields:
            widget = self.query_one(f"#field-{f.name}")
            found[f.name] = widget.text if isinstance(widget, TextArea) else widget.value
        return found

    def _show(self, problems: Mapping[str, str], message: str = "") -> None:
        for f in self.fields:
            self.query_one(f"#error-{f.name}", Static).update(problems.get(f.name, ""))
        self.query_one("#form-message", Static).update(message)

    def _validate(self) -> Mapping[str, str]:
        problems = self.check(self.values()) if self.check else {}
        self._show(problems)
        return problems

    @on(Input.Changed)
    @on(TextArea.Changed)
    def _changed(self) -> None:
        self._validate()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        singles = [f for f in self.fields if not f.lines]
        if singles and event.input.id == f"field-{singles[-1].name}":
            self.action_save()
        else:
            self.focus_next()

    @on(Button.Pressed, "#form-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#form-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        if self.saving:
            return
        if self._validate():
            self.query_one("#form-message", Static).update("Fix the marked fields. 請修正欄位。")
            return
        self.saving = True
        self._run(self.values())

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _run(self, values: dict[str, str]) -> None:
        try:
            result = self.submit(values)
        except SpecialopsError as error:
            self.app.call_from_thread(self._failed, error)
            return
        self.app.call_from_thread(self.dismiss, result)

    def _failed(self, error: SpecialopsError) -> None:
        self.saving = False
        if isinstance(error, StaleRecordError):

            def answered(reload: bool | None) -> None:
                if reload:
                    self.dismiss(RELOAD)

            self._show({}, one_line(error))
            self.app.push_screen(
                ConfirmModal(f"{error}\n\nReload it now? 重新載入？", yes="Reload 重新載入 (y)"),
                answered,
            )
            return
        field = error.field if isinstance(error, ValidationError) else None
        names = {f.name for f in self.fields}
        if field in names:
            self._show({field: one_line(error)}, "")
        else:
            self._show({}, one_line(error))


class ChoiceModal(ModalScreen[str | None]):
    """Pick one of a few labelled choices; Enter picks, Escape cancels."""

    DEFAULT_CSS = """
    ChoiceModal { align: center middle; }
    ChoiceModal > Vertical {
        width: 60; max-width: 100%; height: auto;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    ChoiceModal #choice-title { text-style: bold; }
    ChoiceModal OptionList { height: auto; max-height: 14; border: none; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel 取消", id="choice.cancel")]

    def __init__(self, title: str, choices: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = list(choices)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, id="choice-title", markup=False)
            yield OptionList(*(Option(label, id=key) for key, label in self.choices))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
