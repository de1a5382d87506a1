"""A request counter per key and fixed time window, kept in the database so that every
worker process and instance shares it (the general API rate limit). Its clock is a module
attribute (`clock`), so that tests can start in a fresh window instead of waiting for one."""

from __future__ import annotations

import math
import time

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from dal import db
from models import RateCounter

clock = time.time  # seconds since the epoch


async def hit(key: str, window: int) -> tuple[int, int]:
    """Count one request for key; return the count in the current window and the seconds
    left in it. One upsert; the key's older windows are dropped when a new one starts."""
    now = clock()
    start = int(now // window * window)
    async with db.session() as session:
        insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        statement = insert(RateCounter).values(key=key, window_start=start, count=1)
        statement = statement.on_conflict_do_update(
            index_elements=["key", "window_start"], set_={"count": RateCounter.count + 1}
        ).returning(RateCounter.count)
        count = (await session.execute(statement)).scalar_one()
        if count == 1:
            await session.execute(
                delete(RateCounter).where(RateCounter.key == key, RateCounter.window_start < start)
            )
        await session.commit()
    return count, max(1, math.ceil(start + window - now))
