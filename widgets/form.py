"""Forms in modals: validated as you type, the error beside the field.

:class:`FormModal` shows labelled inputs (a line, several lines, or a
choice), runs each field's ``check`` and the form's own ``check`` on every
change, and on save calls ``save`` in a thread worker with the values. A
:class:`~specialops.errors.ValidationError` naming a field is shown under
it and the form stays open; a stale save says who changed the record and
offers to reload (the modal then closes with :data:`RELOAD`). On success
the modal closes with ``save``'s result. :class:`ChoiceModal` picks one of
a few labelled choices.

Dates and numbers typed in a form are read by the same readers as imported
cells (:mod:`specialops.io.convert`): :func:`read_date`, :func:`read_number`
and :func:`read_integer`, which the field checks and the savers both call.

Titles, labels, choices and values may quote data: control characters show as
stand-ins (:func:`specialops.terminal_text.visible`) and nothing is read as
markup. A value shown with stand-ins and left as it is saves as it was stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from specialops.errors import SpecialopsError, StaleRecordError, ValidationError
from specialops.io.convert import parse_date, parse_number
from specialops.terminal_text import visible
from specialops.text_rules import text_problem
from specialops.widgets.modals import ConfirmModal, one_line
from specialops.widgets.safe import safe_text

RELOAD = "reload"

FieldCheck = Callable[[str], str | None]
FormCheck = Callable[[dict[str, str]], Mapping[str, str]]
Save = Callable[[dict[str, str]], Any]


@dataclass(frozen=True)
class FormField:
    """One field: a line of text, several lines (``lines``) or one of ``choices``.

    ``check`` returns a reason when the text is not acceptable; ``choices``
    are ``(label shown, value)`` pairs.
    """

    name: str
    label: str
    value: str = ""
    required: bool = False
    choices: Sequence[tuple[str, str]] = ()
    check: FieldCheck | None = None
    placeholder: str = ""
    lines: bool = False

    def problem(self, text: str) -> str | None:
        if not text.strip():
            return "required 必填" if self.required else None
        # The one rule for text coming in; a stored value left as it was is not new text.
        if text != self.value and (refused := text_problem(text)) is not None:
            return refused
        return self.check(text) if self.check else None


def read_date(text: str) -> date | None:
    """A typed date read as imports read it (2026-11-28, 2026/11/28, 2026年11月28日).

    Empty text is ``None``; anything else that is not a date raises ``ValueError``.
    """
    cleaned = text.strip()
    return parse_date(cleaned) if cleaned else None


def read_number(text: str) -> float:
    """A typed number read as imports read it (``12,000``, ``1,234.5``, full-width ``１２３``).

    Raises ``ValueError`` when the text is not a number.
    """
    return float(parse_number(text.strip()))


def read_integer(text: str) -> int:
    """A typed whole number, read as :func:`read_number` reads it; ``ValueError`` otherwise."""
    value = read_number(text)
    if not value.is_integer():
        raise ValueError(f"'{text}' is not a whole number")
    return int(value)


def integer_between(low: int, high: int) -> FieldCheck:
    def check(text: str) -> str | None:
        try:
            value = read_integer(text)
        except ValueError:
            return f"a whole number {low}-{high}"
        return None if low <= value <= high else f"from {low} to {high}"

    return check


def number() -> FieldCheck:
    def check(text: str) -> str | None:
        try:
            read_number(text)
        except ValueError:
            return "a number"
        return None

    return check


def iso_date() -> FieldCheck:
    def check(text: str) -> str | None:
        try:
            read_date(text)
        except ValueError:
            return "a date like 2026-12-31"
        return None

    return check


class FormModal(ModalScreen[Any]):
    """A form: F2 (or Ctrl+S, or Enter in the last line field) saves, Escape cancels."""

    DEFAULT_CSS = """
    FormModal { align: center middle; }
    FormModal > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    FormModal #form-title { text-style: bold; color: $accent; }
    FormModal VerticalScroll { height: auto; max-height: 18; }
    FormModal .form-label { margin-top: 0; color: $text-muted; }
    FormModal Input { height: 1; border: none; padding: 0 1; background: $boost; }
    FormModal Input:focus { background: $primary 30%; border: none; }
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
        save: Save,
        check: FormCheck | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.fields = list(fields)
        self.save = save
        self.check = check
        self.saving = False
        # A value shown with stand-ins, and the value itself: saved as it was if left alone.
        self._shown: dict[str, tuple[str, str]] = {}

    def _initial(self, f: FormField) -> str:
        shown = visible(f.value, single_line=not f.lines)
        if shown != f.value:
            self._shown[f.name] = (shown, f.value)
        return shown

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(visible(self.title_text, single_line=True), id="form-title", markup=False)
            with VerticalScroll():
                for f in self.fields:
                    label = f.label + (" *" if f.required else "")
                    yield Label(
                        visible(label, single_line=True), classes="form-label", markup=False
                    )
                    if f.choices:
                        yield Select(
                            [(_option(label), value) for label, value in f.choices],
                            value=f.value if f.value else Select.NULL,
                            id=f"field-{f.name}",
                            allow_blank=not f.required,
                            compact=True,
                        )
                    elif f.lines:
                        yield TextArea(self._initial(f), id=f"field-{f.name}", soft_wrap=True)
                    else:
                        yield Input(
                            self._initial(f), placeholder=f.placeholder, id=f"field-{f.name}"
                        )
                    yield Static("", id=f"error-{f.name}", classes="form-error", markup=False)
            yield Static("", id="form-message", markup=False)
            with Horizontal():
                # compact: a one-line bordered button shows only its border, not its label
                yield Button("Save 儲存 F2", id="form-save", variant="primary", compact=True)
                yield Button("Cancel 取消 Esc", id="form-cancel", compact=True)

    def on_mount(self) -> None:
        if self.fields:
            self.query_one(f"#field-{self.fields[0].name}").focus()

    def values(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for f in self.fields:
            widget = self.query_one(f"#field-{f.name}")
            if isinstance(widget, Select):
                found[f.name] = "" if widget.value is Select.NULL else str(widget.value)
            elif isinstance(widget, TextArea):
                found[f.name] = widget.text
            else:
                found[f.name] = widget.value  # type: ignore[attr-defined]
            shown, stored = self._shown.get(f.name, (None, None))
            if stored is not None and found[f.name] == shown:
                found[f.name] = stored
        return found

    def problems(self) -> dict[str, str]:
        """Every field's problem with what is typed now."""
        values = self.values()
        found = {f.name: p for f in self.fields if (p := f.problem(values[f.name]))}
        if self.check:
            for name, problem in self.check(values).items():
                found.setdefault(name, problem)
        return found

    def _show(self, problems: Mapping[str, str], message: str = "") -> None:
        for f in self.fields:
            self.query_one(f"#error-{f.name}", Static).update(problems.get(f.name, ""))
        self.query_one("#form-message", Static).update(message)

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        self._show(self.problems())

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        singles = [f for f in self.fields if not f.lines and not f.choices]
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
        problems = self.problems()
        if problems:
            self._show(problems, "Fix the marked fields. 請修正欄位。")
            return
        self.saving = True
        self.query_one("#form-message", Static).update("saving 儲存中")
        self._run(self.values())

    @work(thread=True, exclusive=True, group="form", exit_on_error=False)
    def _run(self, values: dict[str, str]) -> None:
        try:
            result = self.save(values)
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
        if field in {f.name for f in self.fields}:
            self._show({field: one_line(error)})
            self.query_one(f"#field-{field}").focus()
        else:
            self._show({}, one_line(error))


class ChoiceModal(ModalScreen[str | None]):
    """Pick one of a few labelled choices; Enter picks, Escape cancels.

    A label may be styled ``Text`` (e.g. a choice shown dimmed with a note under it).
    """

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

    def __init__(self, title: str, choices: Sequence[tuple[str, str | Text]]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = list(choices)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(visible(self.title_text, single_line=True), id="choice-title", markup=False)
            yield OptionList(*(Option(_option(label), id=key) for key, label in self.choices))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _option(label: str | Text) -> Text:
    """A choice's label as ``Text``: a string would be read as markup."""
    if isinstance(label, Text):
        return safe_text(label)
    return Text(visible(label, single_line=True))
