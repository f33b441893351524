"""Which open question a reply answers.

By its code when it gives one; without a code, the single open question that can take this
kind of answer; when several could, nothing is guessed: the caller asks which, listing codes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.domain import Question


@dataclass(frozen=True, slots=True)
class Matched:
    question: Question


@dataclass(frozen=True, slots=True)
class Ambiguous:
    questions: tuple[Question, ...]


@dataclass(frozen=True, slots=True)
class NoOpenQuestion:
    """Nothing open fits. ``code``: the code they gave, which may name a closed question."""

    code: str | None


Route = Matched | Ambiguous | NoOpenQuestion


def route(questions: Sequence[Question], code: str | None, accepts: Callable[[Question], bool]) -> Route:
    if code is not None:
        named = [q for q in questions if q.code == code and accepts(q)]
        return Matched(named[0]) if len(named) == 1 else NoOpenQuestion(code)
    candidates = tuple(q for q in questions if accepts(q))
    if len(candidates) == 1:
        return Matched(candidates[0])
    if candidates:
        return Ambiguous(candidates)
    return NoOpenQuestion(None)
