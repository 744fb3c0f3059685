"""Every section of the product, in menu order. Titles are msgids, translated at render time."""

from __future__ import annotations

from dataclasses import dataclass

from callboard.core.i18n import N_
from callboard.reports import registry


@dataclass(frozen=True)
class Section:
    path: str
    title: str  # msgid
    group: str | None = None  # msgid of the menu it sits in; None: top level
    summary: str = ""  # msgid: one sentence saying what the page is (or will be)


# The reports, in the registry's order, each under the one title and summary it has everywhere.
REPORTS = tuple(Section(r.path, r.title, N_("Reports"), r.summary) for r in registry.REPORTS)

SECTIONS = (
    Section("/", N_("Overview")),
    Section("/records", N_("Call records"), None,
            N_("Every call with its legs; filters, column chooser, CSV download, recordings.")),
    Section("/recordings", N_("Recordings"), None,
            N_("Recorded calls: play in the browser, download, delete.")),
    *REPORTS,
    Section("/live", N_("Live dashboard"), N_("Live"),
            N_("Today so far, current queue states and agents, refreshing by itself.")),
    Section("/wallboard", N_("Wallboard"), N_("Live"),
            N_("Full-screen wall display per queue: waiting calls, agents, service level today.")),
    Section("/schedules/exports", N_("Scheduled call-record exports"), N_("Scheduling"),
            N_("Call records emailed on a schedule as CSV, XLSX or PDF.")),
    Section("/schedules/reports", N_("Scheduled reports"), N_("Scheduling"),
            N_("Any report emailed on a schedule as PDF, CSV or XLSX.")),
    Section("/downloads/exports", N_("Download list"), N_("Scheduling"),
            N_("Every generated CDR export with its status, size and record count.")),
    Section("/downloads/reports", N_("Download scheduled reports"), N_("Scheduling"),
            N_("Every generated scheduled report, downloadable later.")),
    Section("/email-template", N_("Email template"), N_("Scheduling"),
            N_("Subject and body of report emails, with placeholders and a preview.")),
    Section("/chats", N_("External chats"), None,
            N_("SMS and WhatsApp chat sessions with their message threads.")),
    Section("/help/metrics", N_("About the metrics"), None),
    Section("/admin/users", N_("Users"), N_("Administration"),
            N_("Who may sign in, their role and the extension groups and queues they see.")),
    Section("/admin/sources", N_("Sources"), N_("Administration"),
            N_("Each PBX's trunks, phones and numbers as learned from its records: confirm, rename, reclassify.")),
    Section("/admin/display-tokens", N_("Display tokens"), N_("Administration"),
            N_("Read-only addresses for wall displays, limited to chosen queues; revocable.")),
    Section("/admin/audit", N_("Audit log"), N_("Administration"),
            N_("Sign-ins, deletions, downloads, schedule and user changes.")),
    Section("/admin/retention", N_("Data retention"), N_("Administration"),
            N_("How long call records, recordings, chats, generated files and the audit log are kept.")),
    Section("/admin/privacy", N_("Erasure by phone number"), N_("Administration"),
            N_("Everything stored about one phone number, erased on request; masked numbers per role.")),
)

BY_PATH = {s.path: s for s in SECTIONS}
MENU_GROUPS = (N_("Reports"), N_("Live"), N_("Scheduling"), N_("Administration"))
