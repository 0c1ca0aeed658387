"""The project board as an area: importing this registers its workflow, alert source,
import/export entities and demo step."""

from __future__ import annotations

from specialops.services import (  # noqa: F401  (imported for their registrations)
    projects,
    projects_demo,
    projects_entities,
    projects_views,
    projects_workflow,
)
