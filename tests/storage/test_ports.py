"""The store's port is a set of small per-area protocols, and the SQLite engine implements each
one exactly: a second engine (PostgreSQL) can be checked against the same list."""

from __future__ import annotations

import inspect
import typing
from pathlib import Path

from bot.ports import UnitOfWork
from storage import SqliteStore


def _methods(protocol: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(protocol).items()
        if callable(member) and not name.startswith("_")
    }


async def test_every_area_of_the_port_is_implemented_by_sqlite_with_the_same_parameters(
    tmp_path: Path,
) -> None:
    areas = typing.get_type_hints(UnitOfWork)
    assert len(areas) >= 10, "the unit of work carries one repository per area"
    store = await SqliteStore.open(tmp_path / "pool.db")
    try:
        async with store.unit_of_work() as uow:
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
            assert getattr(store.reader(), area) is not None, f"the reader has no {area}"
    finally:
        await store.close()


def test_no_area_of_the_port_is_large() -> None:
    sizes = {area: len(_methods(protocol)) for area, protocol in typing.get_type_hints(UnitOfWork).items()}
    assert max(sizes.values()) <= 35, sizes
