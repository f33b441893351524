"""config/whatsapp_templates.toml: every template obeys WhatsApp's rules, its buttons answer as
our own choices do, and the CLI prints them for approval."""

from __future__ import annotations

from dataclasses import replace

import pytest
from typer.testing import CliRunner

from bot import replies
from config.whatsapp_templates import KINDS, Button, load_whatsapp_templates, parse_templates, problems

TEMPLATES = load_whatsapp_templates()


def test_every_kind_has_a_template() -> None:
    assert set(TEMPLATES) == set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_every_template_obeys_whatsapps_rules(kind: str) -> None:
    assert problems(TEMPLATES[kind]) == []
    assert TEMPLATES[kind].sid == "" or TEMPLATES[kind].approved


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("{{1}} has a session for you at the surgery today.", "starts with a variable"),
        ("A session for you at the surgery today, {{1}}.", "ends with a variable"),
        ("A session for you at the surgery today {{1}} {{2}} now thanks.", "side by side"),
        ("A session at {{1}} on {{3}} for you please.", "without gaps"),
        ("Hi, {{1}} and {{2}} then.", "words for 2 variables"),
        ("A session for you.\n\nAt {{1}} on the day.", "blank line"),
    ],
)
def test_the_rules_catch_what_whatsapp_refuses(body: str, problem: str) -> None:
    variables = tuple(str(n) for n in range(body.count("{{")))
    template = replace(TEMPLATES["filled"], body=body, variables=variables)
    assert any(problem in found for found in problems(template)), problems(template)


def test_a_button_must_be_short_and_use_the_bodys_variables() -> None:
    offer = TEMPLATES["offer"]
    bad = replace(offer, buttons=(Button("Yes please, I will take it", "YES {{9}}"),))
    assert len(problems(bad)) == 2


@pytest.mark.parametrize("kind", [kind for kind in KINDS if TEMPLATES[kind].buttons])
def test_a_button_press_reads_as_the_words_it_stands_for(kind: str) -> None:
    for button in TEMPLATES[kind].buttons:
        payload = button.id.replace("{{5}}", "4821").replace("{{3}}", "4821")
        parsed = replies.parse(payload)
        if button.id.startswith(("YES", "NO")):
            assert isinstance(parsed, replies.Answer) and parsed.code == "4821", payload
            assert parsed.value == button.id.split()[0].lower()
        else:
            assert isinstance(parsed, replies.Keyword) and parsed.name == "WHATSAPP"


def test_an_unknown_template_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown WhatsApp templates: offers"):
        parse_templates('[offers]\nname = "x"\nbody = "y"\n')


def test_the_cli_prints_each_template_for_approval() -> None:
    from main import cli

    result = CliRunner().invoke(cli, ["whatsapp", "templates"], env={"POOL_SANDBOX": "on"})
    assert result.exit_code == 0, result.output
    for template in TEMPLATES.values():
        assert template.name in result.output and template.body in result.output
    assert "button: 'Accept' (id 'YES {{5}}')" in result.output
    assert "not yet approved" in result.output
