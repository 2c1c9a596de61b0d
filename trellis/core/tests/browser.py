"""Helpers for browser tests."""

from __future__ import annotations

from typing import Any

from trellis.accounts.tests.factories import PASSWORD


def sign_in(page: Any, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person would, and wait for the dashboard."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/")
