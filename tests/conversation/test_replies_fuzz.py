"""No text crashes the reader or the router, and what they return is always well formed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import replies
from bot.domain import Question
from bot.router import Ambiguous, Matched, NoOpenQuestion, route
from tests.harness import Harness

# Text as people send it: any unicode, plus the words and codes the reader looks for.
words = st.sampled_from(
    ["yes", "no", "YES", "drop", "pause", "stop", "4821", "#1234", "?", "but", "👍", "'", "’", "12/12", " "]
)
messages = st.one_of(st.text(max_size=200), st.lists(words, max_size=8).map(" ".join))


@given(messages)
def test_parse_never_raises(text: str) -> None:
    parsed = replies.parse(text)
    assert isinstance(
        parsed,
        replies.Keyword
        | replies.Answer
        | replies.Several
        | replies.Reaction
        | replies.Unclear
        | replies.Acknowledgement
        | replies.NotUnderstood
        | replies.Hours,
    )
    assert parsed.rule, "every reading names its rule, for the audit log"
    answers = parsed.answers if isinstance(parsed, replies.Several) else (parsed,)
    for answer in answers:
        if isinstance(answer, replies.Answer | replies.Reaction):
            assert answer.value in ("yes", "no")
        if isinstance(answer, replies.Answer):
            assert answer.code is None or (len(answer.code) == 4 and answer.code.isdigit())
            assert all(len(c) == 4 and c.isdigit() for c in answer.more)
            assert not answer.more or answer.code is not None


questions = st.lists(
    st.builds(
        Question,
        kind=st.sampled_from(["offer", "checkin"]),
        code=st.from_regex(r"\d{4}", fullmatch=True),
        ref_id=st.integers(1, 100),
        member_id=st.just(1),
    ),
    max_size=5,
)


@given(questions, st.one_of(st.none(), st.from_regex(r"\d{4}", fullmatch=True)))
def test_route_never_guesses(open_questions: list[Question], code: str | None) -> None:
    found = route(open_questions, code, accepts=lambda q: q.kind == "offer")
    offers = [q for q in open_questions if q.kind == "offer"]
    if isinstance(found, Matched):
        assert found.question.kind == "offer"
        assert code is None or found.question.code == code
        assert code is not None or len(offers) == 1
    elif isinstance(found, Ambiguous):
        assert code is None and len(found.questions) > 1
    else:
        assert isinstance(found, NoOpenQuestion)


def test_no_message_crashes_the_engine(tmp_path: Path) -> None:
    """Through the whole conversation: every message gets handled and nothing raises."""
    with asyncio.Runner() as runner:
        pool = runner.run(Harness.open(tmp_path))
        runner.run(pool.practice())
        gp = runner.run(pool.gp())
        runner.run(pool.post(urgent=True))
        runner.run(pool.post(start=None, urgent=False))

        @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(messages)
        def check(text: str) -> None:
            runner.run(pool.send(gp, text))

        try:
            check()
        finally:
            runner.run(pool.close())
