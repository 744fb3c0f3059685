"""Rules that turn Asterisk channels, contexts and applications into direction, extension,
trunk, queue, ring group, IVR and DID — and the number classes learned from the data.

Defaults fit FreePBX on Asterisk 13-20 (and plain Asterisk dialplans). A rules file (TOML or
JSON, ``callboard import asterisk-cdr --rules FILE``) overrides any key; every key is
described in data/importers/asterisk_rules.example.toml. Context lists accept shell-style
patterns (``ivr-*``).

Number classes (issue 14 rule 4). Extensions, queues, ring groups, IVRs, conference rooms,
voicemail and feature codes are different things, and only extensions may appear in the
extension columns of a call. A number's class comes, strongest first, from:

1. the user (the sources page /admin/sources: confirmed, renamed or reclassified entries);
2. what the call itself shows (a Queue() leg makes its number a queue, an IVR application
   an IVR, ext-group / a Dial of several channels a ring group, a device channel
   ``PJSIP/201-...`` an extension);
3. what earlier calls showed: the ``number_class`` table, read once per import
   (``Rules.with_classes``) and written once per batch (``merge_learned``);
4. the patterns here (``extension_pattern``, ``feature_code_prefix``).

Channel peers are classified the same way into devices (phones: ``extension``) and trunks:
a peer that places calls with its own name as caller ID, or is dialled bare
(``PJSIP/client2``), is a device; one dialled with a number (``PJSIP/0777@provider``,
``SIP/provider/0777``), or whose calls arrive in an inbound context with an outside
caller ID, is a trunk. Contexts in which IVR applications ran are learned as IVR contexts.
"""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

DEFAULTS: dict = {
    # Our extensions: a channel name or number matching this is one of our phones.
    "extension_pattern": r"^[0-9]{2,5}$",
    # A call whose caller entered the PBX in one of these contexts came from outside.
    "inbound_contexts": ["from-trunk", "from-trunk-*", "from-pstn", "from-pstn-*", "from-external", "from-did-direct",
                         "ext-did", "ext-did-*", "from-sip-external", "from-dahdi", "from-zaptel"],
    # A call placed from one of these contexts was made by one of our users: internal when
    # it reached an internal destination, outbound when it went out through a trunk.
    "internal_contexts": ["from-internal", "from-internal-*", "ext-local", "default", "internal", "from-phones"],
    # Legs in these contexts went through a ring group (the dialled number is the group).
    "ring_group_contexts": ["ext-group"],
    # A Dial of several channels at once (PJSIP/201&PJSIP/202) is a ring group (its number:
    # the leg's dst).
    "parallel_dial_is_ring_group": True,
    # Legs in these contexts are in a queue (FreePBX plays the join announcement there).
    "queue_contexts": ["ext-queues"],
    # Legs in these contexts are IVR menus, whatever application ran (FreePBX: ivr-3).
    "ivr_contexts": ["ivr-*"],
    # Legs dialled in these contexts are transfers (FreePBX dials the target of a blind or
    # attended transfer from from-internal-xfer).
    "transfer_contexts": ["from-internal-xfer"],
    # A Local channel into one of these contexts dials out (a custom or loopback trunk).
    "outbound_local_contexts": ["from-trunk", "from-trunk-*", "from-pstn", "outbound-allroutes", "outrt-*",
                                "macro-dialout-trunk", "sub-dialout-trunk"],
    "voicemail_apps": ["VoiceMail", "VoiceMailMain"],
    "queue_apps": ["Queue"],
    # IVR menus: these applications make the leg an IVR visit. Stasis (ARI) IVRs are named by
    # their application (the first argument); others by the dialled number, else the context.
    "ivr_apps": ["BackGround", "Read", "WaitExten", "Stasis", "ExternalIVR"],
    # Announcements: an IVR visit only in an IVR context (ivr_contexts or one learned from
    # the apps above); elsewhere the PBX answering, not a menu.
    "announcement_apps": ["Playback", "ControlPlayback", "SayDigits", "SayNumber", "Festival"],
    "conference_apps": ["MeetMe", "ConfBridge"],
    # Dialled numbers starting with this are feature codes (*97 voicemail, *72 forwarding).
    "feature_code_prefix": "*",
    # Channel technologies whose channels name a phone or a trunk (`PJSIP/101-0000001a`).
    "channel_techs": ["PJSIP", "SIP", "IAX2", "DAHDI", "Zap", "Skype", "Motif", "WebRTC", "UNISTIM", "MGCP", "SCCP",
                      "Dongle", "OOH323", "H323", "mISDN", "Console"],
    # Technologies whose channels are always trunks (analog / ISDN lines, XMPP, GSM).
    "trunk_techs": ["DAHDI", "Zap", "Motif", "Dongle", "mISDN", "OOH323", "H323"],
    # Names that are always trunks, even when they look like an extension.
    "trunks": [],
}

# Number classes, and which wins when the data shows a number as two (strongest last).
NUMBER, PEER, CONTEXT = "number", "peer", "context"
NUMBER_CLASSES = ("extension", "feature", "voicemail", "conference", "ring_group", "ivr", "queue")
PEER_CLASSES = ("extension", "trunk")
_STRENGTH = {c: i for i, c in enumerate(("extension", "feature", "voicemail", "conference", "ring_group", "ivr",
                                         "queue", "trunk"))}

# Application kinds (Rules.app_kind).
APP_OTHER, APP_VOICEMAIL, APP_QUEUE, APP_IVR, APP_ANNOUNCE, APP_CONFERENCE = 0, 1, 2, 3, 4, 5
# Context flags (Rules.context_flags).
CTX_INBOUND, CTX_INTERNAL, CTX_RING_GROUP, CTX_TRANSFER, CTX_QUEUE, CTX_IVR, CTX_OUT_LOCAL = 1, 2, 4, 8, 16, 32, 64


def stronger(a: str | None, b: str | None) -> str | None:
    """The class that wins when the data shows a name as both."""
    if a is None:
        return b
    if b is None:
        return a
    return a if _STRENGTH.get(a, -1) >= _STRENGTH.get(b, -1) else b


@dataclass(frozen=True)
class KnownClass:
    """One row of number_class as an import sees it."""

    cls: str
    label: str | None = None  # the user's name for it (a trunk shown as "O2 SIP")
    user: bool = False  # set by the user (confirmed / renamed / reclassified): never relearned


def _matcher(patterns: list[str]):
    exact = {p.lower() for p in patterns if not any(ch in p for ch in "*?[")}
    globs = [p.lower() for p in patterns if any(ch in p for ch in "*?[")]

    def match(value: str) -> bool:
        low = value.lower()
        return low in exact or any(fnmatch.fnmatchcase(low, g) for g in globs)

    return match


@dataclass
class Rules:
    extension_pattern: str = DEFAULTS["extension_pattern"]
    inbound_contexts: list[str] = field(default_factory=lambda: list(DEFAULTS["inbound_contexts"]))
    internal_contexts: list[str] = field(default_factory=lambda: list(DEFAULTS["internal_contexts"]))
    ring_group_contexts: list[str] = field(default_factory=lambda: list(DEFAULTS["ring_group_contexts"]))
    parallel_dial_is_ring_group: bool = DEFAULTS["parallel_dial_is_ring_group"]
    queue_contexts: list[str] = field(default_factory=lambda: list(DEFAULTS["queue_contexts"]))
    ivr_contexts: list[str] = field(default_factory=lambda: list(DEFAULTS["ivr_contexts"]))
    transfer_contexts: list[str] = field(default_factory=lambda: list(DEFAULTS["transfer_contexts"]))
    outbound_local_contexts: list[str] = field(default_factory=lambda: list(DEFAULTS["outbound_local_contexts"]))
    voicemail_apps: list[str] = field(default_factory=lambda: list(DEFAULTS["voicemail_apps"]))
    queue_apps: list[str] = field(default_factory=lambda: list(DEFAULTS["queue_apps"]))
    ivr_apps: list[str] = field(default_factory=lambda: list(DEFAULTS["ivr_apps"]))
    announcement_apps: list[str] = field(default_factory=lambda: list(DEFAULTS["announcement_apps"]))
    conference_apps: list[str] = field(default_factory=lambda: list(DEFAULTS["conference_apps"]))
    feature_code_prefix: str = DEFAULTS["feature_code_prefix"]
    channel_techs: list[str] = field(default_factory=lambda: list(DEFAULTS["channel_techs"]))
    trunk_techs: list[str] = field(default_factory=lambda: list(DEFAULTS["trunk_techs"]))
    trunks: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._ext_re = re.compile(self.extension_pattern)
        self._ctx_matchers = [
            (CTX_INBOUND, _matcher(self.inbound_contexts)), (CTX_INTERNAL, _matcher(self.internal_contexts)),
            (CTX_RING_GROUP, _matcher(self.ring_group_contexts)), (CTX_TRANSFER, _matcher(self.transfer_contexts)),
            (CTX_QUEUE, _matcher(self.queue_contexts)), (CTX_IVR, _matcher(self.ivr_contexts)),
            (CTX_OUT_LOCAL, _matcher(self.outbound_local_contexts)),
        ]
        apps: dict[str, int] = {}
        for kind, names in ((APP_ANNOUNCE, self.announcement_apps), (APP_CONFERENCE, self.conference_apps),
                            (APP_IVR, self.ivr_apps), (APP_QUEUE, self.queue_apps),
                            (APP_VOICEMAIL, self.voicemail_apps)):
            for a in names:
                apps[a.lower()] = kind
        self._app_kinds = apps
        self._techs = {t.lower() for t in self.channel_techs}
        self._trunk_techs = {t.lower() for t in self.trunk_techs}
        self._trunks = set(self.trunks)
        self.known: dict[tuple[str, str], KnownClass] = {}
        self.has_user_classes = False
        self._reset_caches()

    def _reset_caches(self) -> None:
        self._chan_cache: dict[str, tuple[str, str, bool]] = {}
        self._stem_cache: dict[str, tuple[str, str, bool]] = {}
        self._apps: dict[str, int] = {}
        self._ctx: dict[str, int] = {}
        self._ext: dict[str, bool] = {}
        self._num: dict[str, tuple[str | None, bool]] = {}

    def __getstate__(self) -> dict:  # sent to worker processes: without the caches
        state = dict(self.__dict__)
        for k in ("_chan_cache", "_stem_cache", "_apps", "_ctx", "_ext", "_num", "_ctx_matchers"):
            state.pop(k, None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        known, has_user = self.known, self.has_user_classes
        self.__post_init__()
        self.known, self.has_user_classes = known, has_user

    def with_classes(self, known: dict[tuple[str, str], KnownClass]) -> "Rules":
        """A copy of these rules that knows the classes learned or set for a source."""
        clone = Rules(**{f.name: getattr(self, f.name) for f in fields(self)})
        clone.known = dict(known)
        clone.has_user_classes = any(k.user for k in known.values())
        return clone

    def config(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    # ------------------------------------------------------------------ predicates

    def is_extension(self, value: str | None) -> bool:
        """Matches the extension pattern (the fallback when nothing is known of a number)."""
        if not value:
            return False
        hit = self._ext.get(value)
        if hit is None:
            hit = self._ext_re.match(value) is not None
            if len(self._ext) < 100_000:
                self._ext[value] = hit
        return hit

    def context_flags(self, ctx: str) -> int:
        """CTX_* bits of a dialplan context (learned IVR contexts included)."""
        if not ctx:
            return 0
        f = self._ctx.get(ctx)
        if f is None:
            f = 0
            for bit, match in self._ctx_matchers:
                if match(ctx):
                    f |= bit
            k = self.known.get((CONTEXT, ctx))
            if k is not None and k.cls == "ivr":
                f |= CTX_IVR
            if len(self._ctx) < 10_000:
                self._ctx[ctx] = f
        return f

    def app_kind(self, app: str) -> int:
        """APP_VOICEMAIL, APP_QUEUE, APP_IVR, APP_ANNOUNCE, APP_CONFERENCE or APP_OTHER."""
        k = self._apps.get(app)
        if k is None:
            k = self._app_kinds.get(app.lower(), APP_OTHER)
            if len(self._apps) < 10_000:
                self._apps[app] = k
        return k

    def number_class(self, number: str | None) -> tuple[str | None, bool]:
        """(class, known) of a dialled number from the user, the learned table, else the
        patterns (known False): 'extension', 'feature' or None (an outside number)."""
        if not number:
            return None, False
        hit = self._num.get(number)
        if hit is not None:
            return hit
        k = self.known.get((NUMBER, number))
        if k is not None:
            hit = (k.cls, True)
        elif number.startswith(self.feature_code_prefix) and self.feature_code_prefix:
            hit = ("feature", False)
        else:
            hit = ("extension" if self.is_extension(number) else None), False
        if len(self._num) < 100_000:
            self._num[number] = hit
        return hit

    def user_number_class(self, number: str) -> str | None:
        k = self.known.get((NUMBER, number))
        return k.cls if k is not None and k.user else None

    def trunk_label(self, name: str) -> str:
        k = self.known.get((PEER, name))
        return k.label if k is not None and k.label else name

    def channel(self, channel: str) -> tuple[str, str, bool]:
        """(kind, name, sure) of a channel: kind is 'ext', 'trunk', 'local', 'other' or ''.

        `PJSIP/101-0000001a` -> ('ext', '101'); `PJSIP/provider-00000012` -> ('trunk',
        'provider'); `Local/101@from-queue-00000003;2` -> ('local', '101@from-queue-00000003').
        `sure` is False when only the extension pattern decided a phone or trunk channel
        (nothing known of the peer: the call's own legs may still say otherwise).
        """
        if not channel:
            return ("", "", True)
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

    def _classify(self, channel: str) -> tuple[str, str, bool]:
        slash = channel.find("/")
        if slash <= 0:
            return ("other", channel, True)
        tech, rest = channel[:slash], channel[slash + 1 :]
        tl = tech.lower()
        if tl == "local":
            if rest.endswith(";1") or rest.endswith(";2"):
                rest = rest[:-2]
            return ("local", rest, True)
        if tl not in self._techs:
            return ("other", channel, True)
        dash = rest.rfind("-")
        name = rest[:dash] if dash > 0 else rest
        if tl in self._trunk_techs:
            return ("trunk", f"{tech}/{name}", True)
        k = self.known.get((PEER, name))
        if k is not None:
            return ("trunk" if k.cls == "trunk" else "ext", name, True)
        if name in self._trunks:
            return ("trunk", name, True)
        return ("ext" if self.is_extension(name) else "trunk", name, False)

    def local_target(self, name: str) -> tuple[str, str]:
        """(exten, context) of a Local channel's name ('103@from-queue-0000001a')."""
        at = name.find("@")
        if at < 0:
            return name, ""
        ctx = name[at + 1 :]
        dash = ctx.rfind("-")
        if dash > 0 and len(ctx) - dash - 1 >= 6:  # the channel's sequence number
            ctx = ctx[:dash]
        return name[:at], ctx


# ----------------------------------------------------------------------------- number_class

def load_known(conn, source_id: int) -> dict[tuple[str, str], KnownClass]:
    """Everything number_class holds for a source: read once per import."""
    import sqlalchemy as sa

    from data import schema as s

    t = s.number_class
    rows = conn.execute(sa.select(t.c.namespace, t.c.name, t.c.kind, t.c.label, t.c.origin)
                        .where(t.c.source_id == source_id))
    return {(r.namespace, r.name): KnownClass(r.kind, r.label, r.origin == "user") for r in rows}


def merge_learned(conn, source_id: int, learned: dict[tuple[str, str, str], int]) -> None:
    """Add what a batch showed ({(namespace, name, class): legs}) to number_class: a name
    seen as two classes keeps the stronger (a queue over an extension, a trunk over a
    device); entries the user set keep their class and only count the sightings."""
    if not learned:
        return
    import sqlalchemy as sa

    from data import schema as s
    from data.importers.base import utcnow

    best: dict[tuple[str, str], list] = {}
    for (ns, name, cls), n in learned.items():
        if not name or len(name) > 80:  # number_class.name: a dialled string that long is no number
            continue
        cur = best.get((ns, name))
        if cur is None:
            best[(ns, name)] = [cls, n]
        else:
            cur[0] = stronger(cur[0], cls)
            cur[1] += n
    if not best:
        return
    t = s.number_class
    now = utcnow()
    existing = {}
    names = sorted({name for _, name in best})
    for i in range(0, len(names), 500):
        for r in conn.execute(sa.select(t.c.id, t.c.namespace, t.c.name, t.c.kind, t.c.origin, t.c.seen)
                              .where(t.c.source_id == source_id, t.c.name.in_(names[i : i + 500]))):
            existing[(r.namespace, r.name)] = r
    updates, inserts = [], []
    for (ns, name), (cls, n) in sorted(best.items()):
        r = existing.get((ns, name))
        if r is None:
            inserts.append(dict(source_id=source_id, namespace=ns, name=name, kind=cls, origin="learned", seen=n,
                                first_seen_utc=now, last_seen_utc=now))
        else:
            kind = r.kind if r.origin == "user" else stronger(r.kind, cls)
            updates.append(dict(_id=r.id, _kind=kind, _seen=(r.seen or 0) + n, _last=now))
    if updates:
        conn.execute(t.update().where(t.c.id == sa.bindparam("_id"))
                     .values(kind=sa.bindparam("_kind"), seen=sa.bindparam("_seen"), last_seen_utc=sa.bindparam("_last")),
                     updates)
    if inserts:
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        # Another import of the same source may have added one meanwhile: it stays.
        conn.execute(insert(t).on_conflict_do_nothing(index_elements=["source_id", "namespace", "name"]), inserts)


def set_class(conn, source_id: int, namespace: str, name: str, *, kind: str | None = None,
              label: str | None = None) -> KnownClass | None:
    """The user's word on a number, peer or context (/admin/sources): confirm it (as it is),
    rename it (`label`, '' removes the name) or reclassify it (`kind`). From then on it is
    never relearned. Returns what it was before (None: not known yet)."""
    import sqlalchemy as sa

    from data import schema as s
    from data.importers.base import utcnow

    valid = NUMBER_CLASSES if namespace == NUMBER else PEER_CLASSES if namespace == PEER else ("ivr",)
    t = s.number_class
    row = conn.execute(sa.select(t).where(t.c.source_id == source_id, t.c.namespace == namespace,
                                          t.c.name == name)).first()
    if kind is None and row is None:
        raise ValueError(f"{namespace} {name!r} is not known for this source")
    kind = kind or row.kind
    if kind not in valid:
        raise ValueError(f"{kind!r} is not a class of a {namespace} (one of {', '.join(valid)})")
    if label is not None:
        label = label.strip()[:100] or None
    before = KnownClass(row.kind, row.label, row.origin == "user") if row is not None else None
    values = dict(kind=kind, origin="user", label=(row.label if row is not None else None) if label is None else label)
    if row is None:
        now = utcnow()
        conn.execute(t.insert().values(source_id=source_id, namespace=namespace, name=name[:80], seen=0,
                                       first_seen_utc=now, last_seen_utc=now, **values))
    else:
        conn.execute(t.update().where(t.c.id == row.id).values(**values))
    return before


def list_classes(conn, source_id: int) -> list:
    """number_class rows of a source: trunks first, then the other peers, numbers, contexts."""
    import sqlalchemy as sa

    from data import schema as s

    t = s.number_class
    order = sa.case((t.c.kind == "trunk", 0), (t.c.namespace == PEER, 1), (t.c.namespace == NUMBER, 2), else_=3)
    return list(conn.execute(sa.select(t).where(t.c.source_id == source_id).order_by(order, t.c.kind, t.c.name)))


def learn_classes(conn, source_id: int, classes: dict[str, str], namespace: str = NUMBER) -> None:
    """For other importers (the queue_log knows its queues): {name: class} as learned."""
    merge_learned(conn, source_id, {(namespace, name, cls): 1 for name, cls in classes.items()})


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
