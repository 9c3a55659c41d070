"""An administrator: creates a partnership, imports its areas from a CSV, and makes a newly
registered resident a councillor for one of its wards, who then finds that ward on their home
page. Run in English and in Welsh.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import (
    ADMIN,
    LANGUAGES,
    download_my_data,
    register,
    sign_in,
    sign_out,
    start,
    unique,
)
from tests.e2e.visitor import OpenVisitor, Visitor

pytestmark = pytest.mark.browser

PASSWORD = "a councillor in waiting"
PROFILE = ["age_band:0-15", "age_band:16-24", "age_band:25-44", "age_band:45-64", "age_band:65+"]


def areas_csv(
    folder: Path, number: str, *, population: str = "5200"
) -> tuple[Path, dict[str, str]]:
    """A district with two wards, made up for this run (GSS codes unique in the session).

    Returns the file and the first ward's names in English and Welsh.
    """
    district = f"E07{number:0>6}"
    wards = [f"E05{number:0>6}", f"W05{number:0>6}"]
    ward_names = {"en": f"Wyre Meadows {number}", "cy": f"Dolydd Wyre {number}"}
    header = ["gss_code", "name", "name_cy", "level", "parent_code", "population", *PROFILE[:4]]
    rows = [
        [district, f"Wyre Vale {number}", f"Dyffryn Wyre {number}", "district", "", "9800"],
        [wards[0], ward_names["en"], ward_names["cy"], "ward", district, population],
        [wards[1], f"Wyre Bridge {number}", "", "ward", district, "4600"],
    ]
    rows[1] += ["1000", "700", "1900", "1600"]
    rows[2] += ["900", "600", "1700", "1400"]
    rows[0] += [""] * 4
    path = folder / f"areas-{number}-{population}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path, ward_names


def in_order(items: list[str], wanted: list[str]) -> bool:
    """``wanted`` appears in ``items`` in this order (other items may come between)."""
    remaining = iter(items)
    return all(any(item == want for item in remaining) for want in wanted)


def admin_journey(admin: Visitor, newcomer: Visitor, language: str, folder: Path) -> None:
    number = unique("")
    name, name_cy = f"Wyre Valley Partnership {number}", f"Partneriaeth Dyffryn Wyre {number}"
    shown_name = name_cy if language == "cy" else name
    start(admin, language)
    sign_in(admin, ADMIN)

    # Create a partnership.
    admin.follow(admin.link("Manage", within=admin.header))
    admin.expect_heading("Manage partnerships")
    admin.follow(admin.link("Create a partnership", within=admin.main))
    admin.expect_heading("Create a partnership")
    admin.fill(admin.field("Name"), name)
    admin.fill(admin.field("Name in Welsh (optional)"), name_cy)
    admin.fill(admin.field("Short name for web addresses"), f"wyre-valley-{number}")
    admin.choose(admin.radio(admin.t("District partnership")))
    admin.submit(admin.button("Save", within=admin.main))
    admin.expect_success("Partnership created")
    admin.expect_heading(shown_name)
    set_up = admin.page.get_by_role("navigation", name=admin.t("Partnership set-up"))

    # Import its areas: a file with a mistake is refused whole, the corrected one imported.
    admin.follow(admin.link("Areas", within=set_up))
    admin.expect_text("No areas yet.")
    admin.follow(admin.link("Import areas from CSV", within=admin.main))
    admin.expect_heading("Import areas")
    bad_file, _names = areas_csv(folder, number, population="lots")
    admin.upload(admin.field("Areas file (CSV)"), bad_file)
    admin.submit(admin.button("Import areas"))
    expect(admin.page.locator(".govuk-error-summary")).to_contain_text(
        admin.t("Nothing was imported: fix the rows listed and upload the file again")
    )
    problems = admin.page.get_by_role("table", name=admin.t("Problems in the file"))
    expect(problems).to_contain_text(admin.t("Population must be a whole number"))
    good_file, ward_names = areas_csv(folder, number)
    ward_code = f"E05{number}"
    admin.upload(admin.field("Areas file (CSV)"), good_file)
    admin.submit(admin.button("Import areas"))
    admin.expect_success(
        "Imported %(created)d new and updated %(updated)d areas", created=3, updated=0
    )
    ward = ward_names[language]
    expect(admin.main.get_by_role("table")).to_contain_text(ward)

    # Someone registers (in their own browser) ...
    email = f"councillor{number}@example.org"
    start(newcomer, language)
    register(newcomer, email, PASSWORD, "Kelham Town")

    # ... and the administrator makes them a councillor for the new ward.
    admin.follow(admin.link("People and roles", within=set_up))
    admin.expect_heading("People and roles")
    admin.fill(admin.field("Email address of the person"), email)
    admin.choose(admin.radio(admin.t("Councillor")))
    admin.tick(admin.checkbox(ward))
    admin.submit(admin.button("Grant role"))
    admin.expect_success("Role granted")
    row = admin.main.get_by_role("row").filter(has_text=email)
    expect(row).to_contain_text(admin.t("Councillor"))
    expect(row).to_contain_text(ward_names["en"])

    # The audit trail: the administrator's own record lists what they just did, in order.
    admin.follow(admin.link("Your account", within=admin.header))
    actions = [entry["action"] for entry in download_my_data(admin)["account"]["activity"]]
    since_sign_in = actions[len(actions) - actions[::-1].index("account.signed_in") :]
    assert in_order(since_sign_in, ["partnership.created", "areas.imported", "membership.granted"])

    # The effect: the new councillor's home page lists the ward, and its page opens.
    newcomer.follow(newcomer.link("Home", within=newcomer.header))
    newcomer.expect_text("As a councillor")
    newcomer.follow(newcomer.link(ward, within=newcomer.main))
    newcomer.expect_heading("%(ward)s ward", ward=ward)
    expect(newcomer.main).to_contain_text("5,200")
    newcomer.follow(newcomer.link("Your account", within=newcomer.header))
    memberships = download_my_data(newcomer)["account"]["memberships"]
    assert {
        "partnership": name,
        "role": "councillor",
        "organisation": None,
        "wards": [ward_code],
    } in memberships
    sign_out(newcomer)
    sign_out(admin)


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_administrator_sets_up_a_partnership_and_makes_a_resident_its_councillor(
    open_visitor: OpenVisitor, language: str, tmp_path: Path
) -> None:
    admin_journey(open_visitor("admin"), open_visitor("newcomer"), language, tmp_path)
