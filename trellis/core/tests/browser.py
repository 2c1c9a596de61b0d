"""Helpers for browser tests."""

from __future__ import annotations

from typing import Any

from trellis.accounts.tests.factories import PASSWORD


def collect_console_errors(page: Any) -> list[str]:
    """Record the page's console errors and uncaught exceptions into the returned list."""
    errors: list[str] = []

    def on_console(message: Any) -> None:
        # A form answered with 422 is the app working as designed: Chromium still logs the
        # status as a failed resource load, which is not an error of the page.
        if message.type == "error" and "status of 422" not in message.text:
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def sign_in(page: Any, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person would, and wait for the dashboard."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/")
