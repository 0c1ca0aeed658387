"""The sample area's demo step: it only counts the departments it finds."""

from sqlmodel import func, select

from specialops.demo import DemoContext, step
from specialops.models.core import Department


@step("samples")
def _samples(demo: DemoContext) -> int:
    return demo.session.exec(select(func.count()).select_from(Department)).one()
