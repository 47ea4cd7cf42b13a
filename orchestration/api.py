"""The JSON API instance. Routers live with their apps; this file only mounts them."""

from __future__ import annotations

from ninja import NinjaAPI

from plans.api.audit import router as audit_router
from plans.api.budgets import router as budgets_router
from plans.api.budgets import usage_router
from plans.api.catalog import plans_router as inputs_router
from plans.api.catalog import router as actions_router
from plans.api.deadlines import router as deadlines_router
from plans.api.discussion import router as discussion_router
from plans.api.endpoints import executors_router
from plans.api.endpoints import router as plans_router
from plans.api.errors import install_error_handlers
from plans.api.gates import router as gates_router
from plans.api.inbox import router as inbox_router
from plans.api.planning import router as planning_router
from plans.api.policy import router as policy_router
from plans.api.rescue import router as rescue_router
from plans.api.revisions import router as revisions_router
from plans.api.slack import router as slack_router
from plans.api.streaming import router as streaming_router

api = NinjaAPI(
    title="Plangate API",
    version="1",
    description="Submit plans for human sign-off, follow their review and execution.",
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/plans", planning_router)
api.add_router("/plans", plans_router)
api.add_router("/plans", gates_router)
api.add_router("/plans", revisions_router)
api.add_router("/plans", discussion_router)
api.add_router("/plans", rescue_router)
api.add_router("/plans", deadlines_router)
api.add_router("/plans", budgets_router)
api.add_router("/plans", streaming_router)
api.add_router("/usage", usage_router)
api.add_router("/executors", executors_router)
api.add_router("/inbox", inbox_router)
api.add_router("/slack", slack_router)
api.add_router("/audit", audit_router)
api.add_router("/policy", policy_router)
api.add_router("/actions", actions_router)
api.add_router("/plans", inputs_router)
