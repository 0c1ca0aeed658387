"""Sample departments and people (``data/people.toml``)."""

from __future__ import annotations

from sqlmodel import select

from specialops.demo import DemoContext, read_data, step
from specialops.models.core import Department, UserAccount


@step("departments")
def _departments(demo: DemoContext) -> int:
    people = read_data("people.toml")
    by_code: dict[str, Department] = {}
    for row in people["departments"]:
        department = Department(code=row["code"], name=row["name"], head_username=row.get("head"))
        if row.get("parent"):
            department.parent_id = by_code[row["parent"]].id
        demo.session.add(department)
        demo.session.flush()
        by_code[row["code"]] = department
    return len(by_code)


@step("users")
def _users(demo: DemoContext) -> int:
    people = read_data("people.toml")
    departments = {d.code: d.id for d in demo.session.exec(select(Department)).all()}
    existing = set(demo.session.exec(select(UserAccount.username)).all())
    added = 0
    for row in people["users"]:
        if row["username"] in existing:
            continue
        demo.session.add(
            UserAccount(
                username=row["username"],
                name=row["name"],
                department_id=departments.get(row["department"]),
                role=row["role"],
                email=row.get("email"),
            )
        )
        added += 1
    return added
