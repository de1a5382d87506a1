"""What a person does in a real browser, in both session modes: sign up, log out, log in,
with and without JavaScript, the admin area, and a password change seen from a second browser."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, log_in, sign_up, unique_email


def test_sign_up_lands_on_the_dashboard_with_name_and_email(page):
    email = unique_email("ada")
    sign_up(page, "Ada Lovelace", email)
    expect(page).to_have_title(re.compile("Dashboard"))
    expect(page.locator("#user-name")).to_have_text("Ada Lovelace")
    expect(page.locator("#user-email")).to_have_text(email)
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Ada Lovelace")


def test_log_out_from_the_nav_closes_the_dashboard(page):
    sign_up(page, "Grace Hopper", unique_email("grace"))
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login?signed_out=1")
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fdashboard$"))


def test_wrong_password_then_right_one_lands_on_next(page, new_context):
    email = unique_email("kat")
    sign_up(new_context().new_page(), "Katherine Johnson", email)
    log_in(page, email, "not the password", path="/login?next=/account")
    error = page.get_by_role("alert")
    expect(error).to_have_text("Invalid email or password.")
    assert error.evaluate("e => e.closest('[aria-live]') !== null")
    expect(page.get_by_label("Email")).to_have_value(email)
    expect(page.get_by_label("Password")).to_have_value("")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account")
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()


def test_forms_work_without_javascript(new_context):
    page = new_context(java_script_enabled=False).new_page()
    email = unique_email("nojs")
    sign_up(page, "No Script", email)
    expect(page.locator("#user-email")).to_have_text(email)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login?signed_out=1")
    log_in(page, email, "wrong password here")
    expect(page.get_by_role("alert")).to_have_text("Invalid email or password.")
    log_in(page, email)
    page.wait_for_url("**/dashboard")
    expect(page.locator("#user-name")).to_have_text("No Script")


def test_admin_area_for_users_and_admins(page, new_context, server):
    email = unique_email("boss")
    sign_up(page, "Barbara Liskov", email)
    other_email = unique_email("member")
    sign_up(new_context().new_page(), "Member Person", other_email)

    response = page.goto("/admin")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("This needs the admin role.")

    server.promote(email)
    response = page.goto("/admin")
    assert response.status == 200
    row = page.get_by_role("row").filter(has_text=other_email)
    expect(row).to_contain_text("Member Person")
    row.get_by_label("Role of Member Person").select_option("admin")
    row.get_by_role("button", name="Change").click()
    expect(page.get_by_role("status")).to_have_text("The role was changed.")
    expect(
        page.get_by_role("row").filter(has_text=other_email).get_by_label("Role of Member Person")
    ).to_have_value("admin")


def test_password_change_signs_out_the_other_browser(page, new_context):
    email = unique_email("twice")
    sign_up(page, "Two Browsers", email)
    second = new_context().new_page()
    log_in(second, email)
    second.wait_for_url("**/dashboard")

    page.goto("/account")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill("an even better secret")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password was changed")

    second.goto("/dashboard")
    expect(second).to_have_url(re.compile(r"/login\?next=%2Fdashboard$"))
    page.goto("/dashboard")
    expect(page.locator("#user-email")).to_have_text(email)


def test_write_a_draft_publish_it_and_read_it_signed_out(page, new_context):
    sign_up(page, "Writer Person", unique_email("writer"))
    page.get_by_role("link", name="Write a post").click()
    page.get_by_label("Title").fill("My first story")
    page.get_by_label("Text").fill("Once upon a time, **boldly**.")
    page.get_by_role("button", name="Save post").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My first story")
    expect(page.get_by_text("Draft: only you")).to_be_visible()
    post_url = page.url

    reader = new_context().new_page()
    assert reader.goto(post_url).status == 404
    reader.goto("/posts")
    expect(reader.get_by_role("link", name="My first story")).to_have_count(0)

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Published").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Draft: only you")).to_have_count(0)

    reader.goto("/posts")
    reader.get_by_role("link", name="My first story").click()
    expect(reader.locator(".post-body strong")).to_have_text("boldly")
