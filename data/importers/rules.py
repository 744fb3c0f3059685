"""Rules that turn Asterisk channels and contexts into direction, extension, trunk and DID.

Defaults fit FreePBX. A rules file (TOML or JSON) overrides any key::

    extension_pattern = "^[0-9]{2,5}$"
    inbound_contexts = ["from-trunk", "from-pstn", "from-did-direct"]
    internal_contexts = ["from-internal"]
    trunks = ["provider1"]             # channel names that are always trunks
    trunk_techs = ["DAHDI"]            # channel technologies that are always trunks
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULTS: dict = {
    # Our extensions: a channel name or number matching this is one of our phones.
    "extension_pattern": r"^[0-9]{2,5}$",
    # A call whose caller entered the PBX in one of these contexts came from outside.
    "inbound_contexts": ["from-trunk", "from-pstn", "from-did-direct", "ext-did", "from-sip-external",
                         "from-trunk-sip", "from-trunk-pjsip"],
    # A call placed from one of these contexts was made by one of our users: internal when
    # it dialled an extension, outbound otherwise.
    "internal_contexts": ["from-internal", "from-internal-xfer", "ext-local", "from-internal-noxfer"],
    "ring_group_contexts": ["ext-group"],
    # Legs dialled in these contexts are transfers (FreePBX dials the target of a blind or
    # attended transfer from from-internal-xfer).
    "transfer_contexts": ["from-internal-xfer"],
    "voicemail_apps": ["VoiceMail", "VoiceMailMain"],
    "queue_apps": ["Queue"],
    # Channel technologies whose channels name a phone or a trunk (`PJSIP/101-0000001a`).
    "channel_techs": ["PJSIP", "SIP", "IAX2", "DAHDI", "Skype", "Motif", "WebRTC", "UNISTIM", "MGCP", "SCCP"],
    # Technologies whose channels are always trunks (analog / ISDN lines).
    "trunk_techs": ["DAHDI"],
    # Names that are always trunks, even when they look like an extension.
    "trunks": [],
}


@dataclass
class Rules:
    extension_pattern: str = DEFAULTS["extension_pattern"]
    inbound_contexts: list[str] = field(default_factory=lambda: list(DEFAULTS["inbound_contexts"]))
    internal_contexts: list[str] = field(default_factory=lambda: list(DEFAULTS["internal_contexts"]))
    ring_group_contexts: list[str] = field(default_factory=lambda: list(DEFAULTS["ring_group_contexts"]))
    transfer_contexts: list[str] = field(default_factory=lambda: list(DEFAULTS["transfer_contexts"]))
    voicemail_apps: list[str] = field(default_factory=lambda: list(DEFAULTS["voicemail_apps"]))
    queue_apps: list[str] = field(default_factory=lambda: list(DEFAULTS["queue_apps"]))
    channel_techs: list[str] = field(default_factory=lambda: list(DEFAULTS["channel_techs"]))
    trunk_techs: list[str] = field(default_factory=lambda: list(DEFAULTS["trunk_techs"]))
    trunks: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._ext_re = re.compile(self.extension_pattern)
        self._inbound = {c.lower() for c in self.inbound_contexts}
        self._internal = {c.lower() for c in self.internal_contexts}
        self._ring_groups = {c.lower() for c in self.ring_group_contexts}
        self._transfers = {c.lower() for c in self.transfer_contexts}
        self._vm = {a.lower() for a in self.voicemail_apps}
        self._queue = {a.lower() for a in self.queue_apps}
        self._techs = {t.lower() for t in self.channel_techs}
        self._trunk_techs = {t.lower() for t in self.trunk_techs}
        self._trunks = set(self.trunks)
        self._chan_cache: dict[str, tuple[str, str]] = {}
        self._stem_cache: dict[str, tuple[str, str]] = {}
        self._apps: dict[str, int] = {}

    # ------------------------------------------------------------------ predicates

    def is_extension(self, value: str | None) -> bool:
        return bool(value) and self._ext_re.match(value) is not None

    def is_inbound_context(self, ctx: str) -> bool:
        return ctx.lower() in self._inbound

    def is_internal_context(self, ctx: str) -> bool:
        return ctx.lower() in self._internal

    def is_ring_group_context(self, ctx: str) -> bool:
        return ctx.lower() in self._ring_groups

    def is_transfer_context(self, ctx: str) -> bool:
        return ctx.lower() in self._transfers

    def is_voicemail_app(self, app: str) -> bool:
        return app.lower() in self._vm

    def app_kind(self, app: str) -> int:
        """1 for a voicemail application, 2 for a queue, 0 otherwise."""
        k = self._apps.get(app)
        if k is None:
            low = app.lower()
            k = 1 if low in self._vm else 2 if low in self._queue else 0
            if len(self._apps) < 10_000:
                self._apps[app] = k
        return k

    def is_queue_app(self, app: str) -> bool:
        return app.lower() in self._queue

    def channel(self, channel: str) -> tuple[str, str]:
        """(kind, name) of a channel: kind is 'ext', 'trunk', 'local', 'other' or ''.

        `PJSIP/101-0000001a` -> ('ext', '101'); `PJSIP/provider-00000012` -> ('trunk',
        'provider'); `Local/101@from-queue-00000003;2` -> ('local', '101@from-queue-00000003').
        """
        if not channel:
            return ("", "")
        hit = self._chan_cache.get(channel)
        if hit is not None:
            return hit
        # Phone and trunk channels differ only in their '-<sequence>' suffix, so each is
        # unique: their class is kept per stem ('PJSIP/101'), which it depends on alone.
        dash = channel.rfind("-")
        stem = channel[:dash] if dash > 0 else None
        if stem is not None:
            hit = self._stem_cache.get(stem)
            if hit is not None:
                return hit
        res = self._classify(channel)
        if stem is not None and res[0] in ("ext", "trunk"):
            if len(self._stem_cache) < 100_000:
                self._stem_cache[stem] = res
        elif len(self._chan_cache) < 100_000:
            self._chan_cache[channel] = res
        return res

    def _classify(self, channel: str) -> tuple[str, str]:
        slash = channel.find("/")
        if slash <= 0:
            res = ("other", channel)
        else:
            tech, rest = channel[:slash], channel[slash + 1 :]
            tl = tech.lower()
            if tl == "local":
                if rest.endswith(";1") or rest.endswith(";2"):
                    rest = rest[:-2]
                res = ("local", rest)
            elif tl in self._techs:
                dash = rest.rfind("-")
                name = rest[:dash] if dash > 0 else rest
                if tl in self._trunk_techs:
                    res = ("trunk", f"{tech}/{name}")
                elif name in self._trunks or not self.is_extension(name):
                    res = ("trunk", name)
                else:
                    res = ("ext", name)
            else:
                res = ("other", channel)
        return res


def load_rules(path: str | Path | None = None) -> Rules:
    """Defaults, overridden by a TOML or JSON rules file when given."""
    if path is None:
        return Rules()
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    data = json.loads(text) if p.suffix.lower() == ".json" else tomllib.loads(text)
    unknown = set(data) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"{p}: unknown rule(s): {', '.join(sorted(unknown))}")
    return Rules(**data)
