"""callboard.web.input_checks and callboard.core.bad_input: values of the wrong type raise
BadInput with a short reason, the right ones pass unchanged (issue 15, point 9). The callbacks
using it: tests/callboard/web/auth/test_callback_values.py; the URL parameters:
tests/callboard/reports/test_url_filters.py."""

from __future__ import annotations

from typing import Any

import pytest

from callboard.core.bad_input import BadInput, expect
from callboard.web.input_checks import (CellClicked, Day, Id, QueryParams, RowsRequest, RowsTotal, Text, Texts,
                                        checked_inputs, parameter_type)


@pytest.mark.parametrize("kind, good, bad, reason", [
    (Text, ["", "x", None], [1, 1.5, True, ["x"], {}], "Input should be a valid string"),
    (Texts, [[], ["a", "b"], None], ["a", 1, {}], "Input should be a valid list"),
    (Texts, [], [["a", 1], ["a", None]], "1: Input should be a valid string"),
    (Day, ["2026-03-10", "2026-03-10T00:00:00", None], ["x", "2026-13-01"], "Value error, "),
    (Id, [1, "1", "9223372036854775807", 2**63 - 1], [0, -1, 2**63, "1.5", "x", "", "١٢"], "not a database id"),
    (RowsRequest, [{}, {"startRow": 0, "endRow": 100, "sortModel": [{"colId": "start", "sort": "desc"}],
                        "filterModel": {}, "other": "kept"}],
     [{"startRow": "0"}, {"startRow": -1}, {"endRow": 2**60}, {"sortModel": [{"colId": 1}]},
      {"sortModel": [{"sort": "sideways"}]}], "Input should be"),
    (RowsTotal, [{"key": "[]", "count": 3}], [{"key": "[]"}, {"key": 1, "count": 3}, {"count": "3", "key": ""}],
     ""),
    (CellClicked, [{"rowId": "12", "colId": "start", "value": {"any": 1}}, {}], [{"rowId": [1]}, "12"], ""),
    (QueryParams, [None, {}, {"ext": "101", "group": ["a", "b"]}], [{"ext": 101}, {"ext": [1]}, []], ""),
])
def test_expect(kind, good, bad, reason):
    for value in good:
        assert expect(value, kind, "w") is value  # checked, not converted
    for value in bad:
        with pytest.raises(BadInput) as err:
            expect(value, kind, "rec-x.value")
        assert str(err.value).startswith("rec-x.value: ") and reason in str(err.value), (value, str(err.value))
    assert expect(object(), Any, "w") is not None


def test_a_reason_is_short_and_never_echoes_the_value():
    with pytest.raises(BadInput) as err:
        expect({"k" * 5000: "v"}, dict[str, int], "store.data")
    assert len(str(err.value)) <= 200
    with pytest.raises(BadInput) as err:
        expect(["secret-value"], list[int], "w")
    assert "secret-value" not in str(err.value)


def test_checked_inputs_by_annotation_and_by_position():
    calls = []

    @checked_inputs
    def by_annotation(clicks, text: Text, items: Texts, *rest: int):
        calls.append((clicks, text, items, rest))
        return "ran"

    assert by_annotation({"anything": 1}, "x", ["a"], 1, 2) == "ran"
    for args, reason in ((("n", 5, None), "text: Input should be a valid string"),
                         (("n", None, "a"), "items: Input should be a valid list"),
                         (("n", None, None, 1, "2"), "argument 5: Input should be a valid integer")):
        with pytest.raises(BadInput, match=reason):
            by_annotation(*args)
    assert len(calls) == 1  # a refused call never reached the body

    @checked_inputs(types=[Text, Any, Texts])
    def by_position(*values):
        return values

    assert by_position("a", object, ["b"]) == ("a", object, ["b"])
    with pytest.raises(BadInput, match="argument 3"):
        by_position("a", 1, "b")


def test_parameter_type_of_a_converter():
    def convert(value: Texts) -> tuple:
        return tuple(value or ())

    assert parameter_type(convert) == Texts
    assert parameter_type(lambda value: value) is Any
