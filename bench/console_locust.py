"""Locust users for the console load benchmark (``bench.console_load`` runs this file).

Agents work their list (worklist, case pages, notes for their finished calls), QA
reviewers work the flag queue (queue, call pages, verdicts) and admins open the
dialable preview; everyone logs out and in again now and then. User names come from
``CW_BENCH_AGENTS`` / ``CW_BENCH_QA`` / ``CW_BENCH_ADMINS`` (comma-separated), each
locust user taking the next name of its role.
"""

from __future__ import annotations

import itertools
import os
import random
import re
from typing import Any

from locust import HttpUser, between, task

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
OPEN_NOTE = re.compile(r'name="attempt_id" value="(\d+)"')
CASE = re.compile(r'href="/agent/cases/(\d+)"')
CALL = re.compile(r'href="/qa/calls/(\d+)#flag-\d+"')
FLAG = re.compile(r'id="flag-(\d+)"')
PASSWORD = os.environ.get("CW_BENCH_PASSWORD", "")
_NAMES = {
    role: itertools.cycle(os.environ.get(f"CW_BENCH_{role.upper()}", role).split(","))
    for role in ("agents", "qa", "admins")
}


class ConsoleUser(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.0)
    role = ""

    def on_start(self) -> None:
        self.username = next(_NAMES[self.role])
        self.csrf = ""
        self.log_in()

    def log_in(self) -> None:
        form = self.client.get("/login", name="GET /login")
        found = CSRF.search(form.text)
        token = found.group(1) if found else ""
        data = {"username": self.username, "password": PASSWORD, "csrf": token}
        with self.client.post("/login", data=data, name="POST /login", catch_response=True) as r:
            page = CSRF.search(r.text)
            if r.status_code != 200 or page is None or "/login" in r.url:
                r.failure(f"login of {self.username} failed: {r.status_code}")
            else:
                self.csrf = page.group(1)

    @task(1)
    def relogin(self) -> None:
        self.client.post("/logout", data={"csrf": self.csrf}, name="POST /logout")
        self.log_in()

    def page(self, path: str, name: str) -> str:
        return str(self.client.get(path, name=name).text)

    def post(self, path: str, data: dict[str, Any], name: str) -> str:
        return str(self.client.post(path, data={**data, "csrf": self.csrf}, name=name).text)


class Agent(ConsoleUser):
    weight = 6
    role = "agents"

    @task(5)
    def worklist(self) -> None:
        self.worklist_page = self.page("/agent", "GET /agent")

    @task(2)
    def case_page(self) -> None:
        cases = CASE.findall(
            getattr(self, "worklist_page", "") or self.page("/agent", "GET /agent")
        )
        if cases:
            self.page(f"/agent/cases/{random.choice(cases)}", "GET /agent/cases/N")

    @task(2)
    def note(self) -> None:
        open_note = OPEN_NOTE.search(self.page("/agent", "GET /agent"))
        if open_note:
            data = {"attempt_id": open_note.group(1), "outcome": "negotiating", "text": "协商中"}
            self.worklist_page = self.post("/agent/notes", data, "POST /agent/notes")


class Reviewer(ConsoleUser):
    weight = 3
    role = "qa"

    @task(4)
    def queue(self) -> None:
        self.calls = CALL.findall(self.page("/qa", "GET /qa"))

    @task(4)
    def call_and_verdict(self) -> None:
        calls = getattr(self, "calls", None) or CALL.findall(self.page("/qa", "GET /qa"))
        if not calls:
            return
        call = self.page(f"/qa/calls/{random.choice(calls)}", "GET /qa/calls/N")
        flags = FLAG.findall(call)
        if flags and random.random() < 0.5:
            data = {
                "verdict": random.choice(["suggestion", "penalty", "false_positive"]),
                "note": "复核",
            }
            self.post(f"/qa/flags/{random.choice(flags)}/verdict", data, "POST verdict")


class Admin(ConsoleUser):
    weight = 1
    role = "admins"

    @task(3)
    def preview(self) -> None:
        self.page("/admin/preview", "GET /admin/preview")

    @task(1)
    def audit(self) -> None:
        self.page("/admin/audit", "GET /admin/audit")
