"""Import/export descriptions of departments and users."""

from __future__ import annotations

from specialops.areas.people.choices import ROLE_CHOICES
from specialops.entities import EntitySpec, FieldSpec, register
from specialops.models.core import Department, UserAccount

DEPARTMENTS = register(
    EntitySpec(
        "departments",
        Department,
        key="code",
        label="部門",
        fields=(
            FieldSpec("code", required=True, max_length=32, help="department code, e.g. CS"),
            FieldSpec("name", required=True, max_length=200, help="department name"),
            FieldSpec("parent", "ref", ref="departments", help="code of the parent department"),
        ),
    )
)

USERS = register(
    EntitySpec(
        "users",
        UserAccount,
        key="username",
        label="使用者",
        fields=(
            FieldSpec("username", required=True, max_length=64, help="the person's OS login"),
            FieldSpec("name", required=True, max_length=200, help="full name"),
            FieldSpec("department", "ref", ref="departments", help="department code"),
            FieldSpec("role", "choice", required=True, choices=ROLE_CHOICES, help="role"),
            FieldSpec("email", "email", max_length=254, help="e-mail address"),
            FieldSpec("active", "bool", help="may log in (true/false); new users default to true"),
        ),
    )
)
