"""The one translator of pydantic errors: file, entry, field path, line and the known keys, in the user's words."""

from __future__ import annotations

import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from drafter.validation import explain_validation


class Budget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    context: int = 4096
    output: int = 512


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    length: list[int] = Field(default_factory=list, max_length=2)
    budget: Budget | None = None


class Suite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    cases: list[Case]


SUITE = """\
name: s
cases:
  - id: a
    budget: {context: 10, outptu: 3}
  - id: b
    length: [1, 2, 3]
  - length: []
"""


def _error(text: str) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        Suite.model_validate(yaml.safe_load(text))
    return info.value


def test_entries_fields_lines_and_known_keys():
    exc = _error(SUITE)
    message = explain_validation(exc, "s.yaml", model=Suite, data=yaml.safe_load(SUITE), items={"cases": "case"},
                                 text=SUITE, most=5)
    assert "s.yaml: case 'a': unknown field 'budget.outptu' (line 4). Known: context, output." in message
    assert "s.yaml: case 'b': field 'length': List should have at most 2 items" in message
    assert "(line 6)." in message
    assert "s.yaml: case #3: field 'id': Field required (line 7)." in message


def test_only_the_first_errors_are_worded_and_the_rest_counted():
    message = explain_validation(_error(SUITE), "s.yaml", most=1)
    assert message.count("s.yaml") == 1 and message.endswith("(2 more.)")


def test_noun_and_no_place():
    with pytest.raises(ValidationError) as info:
        Budget(context="many")
    assert explain_validation(info.value, "", noun="setting") == (
        "setting 'context': Input should be a valid integer, unable to parse string as an integer.")
    with pytest.raises(ValidationError) as info:
        Budget(colour="red")
    assert explain_validation(info.value, "c.yaml", model=Budget, noun="setting") == (
        "c.yaml: unknown setting 'colour'. Known: context, output.")


def test_value_error_prefix_is_dropped_and_a_bad_entry_is_named():
    class Strict(BaseModel):
        kind: str

        @field_validator("kind")
        @classmethod
        def _known(cls, value: str) -> str:
            if value != "work":
                raise ValueError(f"unknown section kind '{value}'.")
            return value

    with pytest.raises(ValidationError) as info:
        Strict(kind="wrok")
    assert explain_validation(info.value, "q.yaml: query q1") == "q.yaml: query q1: field 'kind': unknown section kind 'wrok'."
    with pytest.raises(ValidationError) as info:
        Case.model_validate("not a mapping")
    assert explain_validation(info.value, "q.yaml: query #2").startswith("q.yaml: query #2: Input should be a valid dictionary")


def test_front_matter_lines_count_from_the_first_line_given():
    text = "name: w\nbudget: {context: x}\n"
    with pytest.raises(ValidationError) as info:
        Case.model_validate({"id": "w", "budget": {"context": "x"}})
    assert "(line 3)" in explain_validation(info.value, "p.md", text=text, first_line=2)
