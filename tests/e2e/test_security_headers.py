"""The built web app works under its Content-Security-Policy in Chromium: the main screens
(charts included) render with no console error, and the policy is really enforced."""

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Pages

pytestmark = pytest.mark.e2e


def test_the_app_runs_under_its_content_security_policy(pages: Pages, app_url: str) -> None:
    policy = httpx.get(f"{app_url}/").headers["content-security-policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy

    public = pages.new()
    public.goto("/needs")
    expect(public.locator(".echart canvas")).to_be_visible()
    public.locator(".need-card a").first.click()
    expect(public).to_have_url(re.compile(r"/needs/\d+$"))
    # An injected inline script does not run: the policy is enforced, not only sent.
    ran = public.evaluate(
        """() => { const s = document.createElement('script');
        s.textContent = 'window.__injected = 1'; document.body.appendChild(s);
        return window.__injected === 1; }"""
    )
    assert ran is False
    public.console.errors[:] = [e for e in public.console.errors if "Content Security" not in e]
    # A visitor's detail page may ask for what needs a login (401): not a policy matter.
    assert public.console.unexpected("status of 401") == [], public.console.errors

    admin = pages.login("admin")
    admin.get_by_role("link", name="统计看板").click()
    expect(admin.locator(".echart canvas").first).to_be_visible()
    for path in ("/admin/review", "/admin/users", "/matches", "/capabilities"):
        admin.goto(path)
        admin.wait_for_load_state("networkidle")
    assert admin.console.errors == [], admin.console.errors
