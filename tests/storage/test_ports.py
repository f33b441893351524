"""The store's port is a set of small per-area protocols, and each engine (SQLite, PostgreSQL)
implements each one exactly."""

from __future__ import annotations

import inspect
import typing
from typing import Any

from bot.ports import UnitOfWork


def _methods(protocol: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(protocol).items()
        if callable(member) and not name.startswith("_")
    }


async def test_every_area_of_the_port_is_implemented_by_each_engine_with_the_same_parameters(
    engine: Any,
) -> None:
    areas = typing.get_type_hints(UnitOfWork)
    assert len(areas) >= 10, "the unit of work carries one repository per area"
    async with engine.unit_of_work() as uow:
        for area, protocol in areas.items():
            wanted = _methods(protocol)
            assert wanted, f"{area} has no methods"
            repository = getattr(uow, area)
            for name, signature in wanted.items():
                implemented = getattr(type(repository), name, None)
                assert implemented is not None, f"{area}.{name} is not implemented"
                assert list(inspect.signature(implemented).parameters) == list(signature.parameters), (
                    f"{area}.{name} takes different parameters"
                )
                assert inspect.iscoroutinefunction(implemented), f"{area}.{name} must be async"
    for area in areas:
        assert getattr(engine.reader(), area) is not None, f"the reader has no {area}"


def test_no_area_of_the_port_is_large() -> None:
    sizes = {area: len(_methods(protocol)) for area, protocol in typing.get_type_hints(UnitOfWork).items()}
    assert max(sizes.values()) <= 35, sizes


def test_each_engine_implements_the_whole_store_with_the_same_parameters() -> None:
    from bot.ports.store import Store
    from storage.postgres import PostgresStore
    from storage.sqlite import SqliteStore

    for engine in (SqliteStore, PostgresStore):
        for name, signature in _methods(Store).items():
            implemented = getattr(engine, name, None)
            assert implemented is not None, f"{engine.__name__}.{name} is not implemented"
            assert list(inspect.signature(implemented).parameters) == list(signature.parameters), (
                f"{engine.__name__}.{name} takes different parameters"
            )
