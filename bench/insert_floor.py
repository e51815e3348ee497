"""The floor of the comment POST benchmark: the least a web process can do to accept a
comment. A bare Starlette app, served by uvicorn as Roundtable is, that answers the same
POST by reading its JSON and inserting one comment row through SQLAlchemy Core in its own
transaction (in the thread pool, as Roundtable does), then answering 201 with the id. No
authentication, rate limit, outbox or validation: what is left is HTTP, JSON and one
INSERT … RETURNING with its commit.

    DATABASE_URL=… FLOOR_THREAD_ID=… uvicorn bench.insert_floor:app
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from consultations.models import Comment
from core.db import make_engine
from core.enums import Attribution, StakeholderGroup, Stance

engine = make_engine(os.environ["DATABASE_URL"])
THREAD_ID = int(os.environ["FLOOR_THREAD_ID"])
INSERT = insert(Comment.__table__).returning(Comment.__table__.c.id)  # type: ignore[arg-type]


def _insert(payload: dict[str, Any]) -> int:
    row = {
        "thread_id": THREAD_ID, "body": payload["body"], "stance": Stance(payload["stance"]),
        "attribution": Attribution(payload["attribution"]), "author_name": "Floor",
        "stakeholder_group": StakeholderGroup.ACADEMIA, "verified": False,
        "created_at": datetime.now(UTC),
    }  # fmt: skip
    with engine.begin() as connection:
        return int(connection.execute(INSERT, row).scalar_one())


async def post(request: Request) -> Response:
    comment_id = await run_in_threadpool(_insert, json.loads(await request.body()))
    return Response(json.dumps({"id": comment_id}), 201, media_type="application/json")


async def ready(_request: Request) -> Response:
    return Response("{}", media_type="application/json")


app = Starlette(
    routes=[
        Route("/api/v1/consultations/{slug}", ready),
        Route("/api/v1/consultations/{slug}/paragraphs/{key}/comments", post, methods=["POST"]),
    ]
)
