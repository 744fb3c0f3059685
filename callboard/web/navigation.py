"""Every section of the product, in menu order. Titles are msgids, translated at render time."""

from __future__ import annotations

from dataclasses import dataclass

from callboard.core.i18n import N_


@dataclass(frozen=True)
class Section:
    path: str
    title: str  # msgid
    group: str | None = None  # msgid of the menu it sits in; None: top level
    summary: str = ""  # msgid: one sentence saying what the page is (or will be)


REPORTS = (
    Section("/reports/extension-statistics", N_("Extension call statistics"), N_("Reports"),
            N_("Per extension: calls by status, total and average talk time, status split pie charts.")),
    Section("/reports/extension-activity", N_("Extension call activity"), N_("Reports"),
            N_("Calls of chosen extensions per hour (or 15/30 minutes) of a day or a range of days.")),
    Section("/reports/pbx-activity", N_("PBX call activity"), N_("Reports"),
            N_("Internal, inbound and outbound calls by hour of day, by day and by month, answered vs unanswered.")),
    Section("/reports/did-dod", N_("DID/DOD activity"), N_("Reports"),
            N_("Calls per DID (our called number) and per outbound caller ID over time.")),
    Section("/reports/ivr", N_("IVR report"), N_("Reports"),
            N_("Per IVR: calls entered and how often each option was chosen, including timeout and invalid input.")),
    Section("/reports/queue-wait-talk", N_("Queue wait and talk time"), N_("Reports"),
            N_("Average wait (answered and all) and average talk time by hour, day or month.")),
    Section("/reports/queue-performance", N_("Queue performance"), N_("Reports"),
            N_("Offered, answered, abandoned, service level, abandon rate, ASA and an Erlang C staffing view.")),
    Section("/reports/queue-callbacks", N_("Queue callbacks"), N_("Reports"),
            N_("Callbacks requested, completed and failed, and each callback with its outcome.")),
    Section("/reports/queue-satisfaction", N_("Queue satisfaction survey"), N_("Reports"),
            N_("Per queue and agent: answers per score key, total points, average score, participation.")),
    Section("/reports/queue-agents", N_("Queue agent activity"), N_("Reports"),
            N_("Agent login sessions, pauses with reasons, and per-agent answered, missed, talk time and occupancy.")),
    Section("/reports/ring-groups", N_("Ring group statistics"), N_("Reports"),
            N_("Per ring group: calls, answered, missed, answered by each member, average ring and talk time.")),
    Section("/reports/missed-unreturned", N_("Missed and unreturned calls"), N_("Reports"),
            N_("Missed or abandoned inbound calls whose caller was neither called back nor got through later.")),
)

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
