"""The shared GOV.UK form fields (engage/core/forms.py) on hand-made requests."""

from __future__ import annotations

from datetime import date

from flask import Flask
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from engage.core.forms import DayMonthYearField


class _When(FlaskForm):
    class Meta:
        csrf = False

    when = DayMonthYearField("When")


def test_a_date_missing_from_the_request_renders_three_empty_boxes(app: Flask) -> None:
    with app.test_request_context("/"):
        form = _When(formdata=MultiDict({"other": "1"}))
        html = form.when()
    assert form.when.data is None
    assert html.count('value=""') == 3


def test_a_date_is_read_from_padded_or_cut_boxes_and_a_bad_one_explained(app: Flask) -> None:
    with app.test_request_context("/"):
        cut = _When(formdata=MultiDict([("when", "27"), ("when", "3"), ("when", "2026"),
                                        ("when", "extra")]))
        assert cut.validate() and cut.when.data == date(2026, 3, 27)
        short = _When(formdata=MultiDict([("when", "31"), ("when", "2")]))
        assert not short.validate()
        assert short.when.raw_data == ["31", "2", ""]
        assert "Enter a real date" in short.when.errors[0]
