"""A call from its legs (build_call): who answered, the call's status, direction, parties,
trunks, destination, ring and talk time, IVR visits — using what the rules and the source's
number classes say each number, peer and context is, and noting what the legs show of them
(learned classes).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from data.importers.rules import (
    APP_CONFERENCE,
    APP_IVR,
    APP_QUEUE,
    APP_VOICEMAIL,
    CONTEXT,
    CTX_INBOUND,
    CTX_INTERNAL,
    CTX_IVR,
    CTX_OUT_LOCAL,
    CTX_QUEUE,
    CTX_RING_GROUP,
    CTX_TRANSFER,
    NUMBER,
    PEER,
    Rules,
)

if TYPE_CHECKING:
    from data.importers.asterisk.legs import Leg

# The rows build_call makes, in these columns' order.
CALL_COLS = (
    "source_id", "call_uid", "start_utc", "answer_utc", "end_utc", "from_number", "from_name",
    "to_number", "direction", "status", "duration_s", "ring_s", "talk_s", "hold_s", "src_trunk",
    "dst_trunk", "did", "outbound_cid", "account_code", "extension", "peer_extension", "answered_by",
    "destination_type", "destination", "queue", "ring_group", "ivr", "has_recording", "transferred_to",
)
LEG_COLS = ("call_id", "seq", "extension", "number", "via_type", "via", "start_utc", "answer_utc",
            "end_utc", "ring_s", "talk_s", "status", "channel", "dst_channel", "uniqueid", "dcontext", "lastapp",
            "lastdata", "dst")
IVR_COLS = ("call_id", "ivr", "at_utc", "seq", "option", "next_dest")
# An IVR visit whose key the CDR does not show (ivr_choice.option; not one of IVR_OPTIONS).
NO_KEY = "-"
# ivr_choice.next_dest of a caller who hung up in the menu.
HANGUP = "hangup"
_IVR_KEYS = {**{k: k for k in "0123456789*#"}, "i": "invalid", "t": "timeout"}


def _secs(a: datetime, b: datetime) -> int:
    d = int((b - a).total_seconds())
    return d if d > 0 else 0


def _leg_order(l: "Leg") -> tuple:
    return (l.start, l.channel[:6].lower() == "local/", l.stored is None, l.end)


def is_local_channel(channel: str) -> bool:
    return channel[:6].lower() == "local/"


# Dialplan extensions that are no number anyone dialled (start, invalid, timeout, hangup).
_DIALPLAN_EXTENS = {"s", "i", "t", "h", "o", "a", "e", "T"}


def _phone_number(v: str) -> bool:
    """Looks like a number dialled from outside (a DID): digits, maybe a leading +."""
    return len(v) >= 3 and v.lstrip("+").isdigit()


def _local_name(channel: str) -> str:
    """'Local/103@from-queue-00000001;2' -> '103@from-queue-00000001' (as Rules.channel names it)."""
    return channel[6:-2] if channel.endswith((";1", ";2")) else channel[6:]


def _leg_dest(row: tuple, leg: "Leg") -> tuple[str, str] | None:
    """Where an ordinary leg took the call, from its leg row: its ring group, the extension
    it rang, or the outside number it dialled through a trunk (None: the dialplan only)."""
    via_type, via, ext, number = row[3], row[4], row[1], row[2]
    if via_type == "ring_group":
        return ("ring_group", via)
    if ext:
        return ("extension", ext)
    if leg.dstchannel and not is_local_channel(leg.dstchannel):
        return ("external", number or leg.dstchannel)
    return None


def _no_class(_number: str) -> None:
    return None


def _parallel(data: str) -> bool:
    """A Dial of several channels at once: '&' in its first argument."""
    amp = data.find("&")
    if amp < 0:
        return False
    comma = data.find(",")
    return comma < 0 or amp < comma


def _first_arg(data: str) -> str:
    comma = data.find(",")
    return data if comma < 0 else data[:comma]


def _mailbox(data: str) -> str | None:
    box = _first_arg(data)
    at = box.find("@")
    return (box if at < 0 else box[:at])[:32] or None


def _dialled_as(data: str, peer: str) -> str | None:
    """How a Dial's data names `peer`: 'bare' (PJSIP/201, PJSIP/201/sip:201@host: a device),
    'number' (PJSIP/0777@provider, SIP/provider/0777: a trunk) or None (not named), found by
    a few string searches (this runs for most legs)."""
    n = len(peer)
    i = data.find(peer)
    while i > 0:
        prev = data[i - 1]
        j = i + n
        nxt = data[j] if j < len(data) else ","
        if prev == "@" and nxt in ",&/":
            return "number"
        if prev == "/":
            if nxt in ",&":
                return "bare"
            if nxt == "/":
                return "bare" if data[j + 1 : j + 5].lower() in ("sip:", "sips") else "number"
        i = data.find(peer, i + 1)
    return None


def _clid_name(clid: str) -> str | None:
    lt = clid.rfind("<")
    name = clid[:lt] if lt >= 0 else clid
    name = name.strip().strip('"').strip()
    return name or None


def build_call(source_id: int, uid: str, legs: list[Leg], rules: Rules,
               learned: dict | None = None) -> tuple[tuple, list[tuple], list[tuple]]:
    """(call row in CALL_COLS order, leg rows in LEG_COLS order without call_id, ivr_choice
    rows in IVR_COLS order without call_id). `learned` collects what the legs show of
    numbers, peers and contexts: {(namespace, name, class): legs}.

    Issue 14: a call is answered only when a called PARTY picked up (an ANSWERED leg whose
    dstchannel is a device or trunk, not the dialplan's own applications); durations are the
    legs' own duration / billsec counts; ring = the unanswered time before the answering leg
    plus its duration - billsec; talk = the answered party legs' billsec (never a Queue or
    Local ;1 leg, whose billsec holds the wait / the other half's talk)."""
    if len(legs) > 1:
        legs.sort(key=_leg_order)
    origin = legs[0]
    hint = origin.hint
    chan = rules.channel
    is_ext = rules.is_extension
    app_kind = rules.app_kind
    ctx_flags = rules.context_flags
    has_user = rules.has_user_classes
    user_cls = rules.user_number_class if has_user else _no_class
    known = rules.known
    parallel_rg = rules.parallel_dial_is_ring_group
    seen = learned if learned is not None else {}
    seen_get = seen.get
    own: dict[str, str] = {}  # what this call's legs show its numbers to be (not extensions)
    feature_prefix = rules.feature_code_prefix

    def learn(ns: str, name: str, cls: str) -> None:  # runs a few times a call: kept lean
        k = (ns, name, cls)
        seen[k] = seen_get(k, 0) + 1

    def learn_number(name: str, cls: str) -> None:
        k = (NUMBER, name, cls)
        seen[k] = seen_get(k, 0) + 1
        own[name] = cls

    # The caller's channel: a device or a trunk. Nothing known of the peer: a device when it
    # calls with its own name as caller ID (PJSIP/client1, src client1) or with an
    # extension number from an internal context; a trunk when an outside number arrives on
    # it in an inbound context.
    okind, oname, osure = chan(origin.channel)
    src = origin.src if hint is None else (hint.from_number or "")
    octx = origin.dcontext
    oflags = ctx_flags(octx) if octx else 0
    if not osure:
        decided = True
        if src == oname:
            okind = "ext"
        elif oflags & CTX_INBOUND and not is_ext(src):
            okind = "trunk"
        elif oflags & CTX_INTERNAL and is_ext(src):
            okind = "ext"
        else:
            decided = False
        if decided:
            learn(PEER, oname, "extension" if okind == "ext" else "trunk")
    # (A phone's own number is an extension by its device already: not recorded again.)

    # Local ;2 halves present as legs of their own (their party legs carry the talk).
    local_halves = {_local_name(l.channel) for l in legs if l.channel[:6] == "Local/"} if len(legs) > 1 else ()

    # Transfers: a leg placed by a party who had answered (attended transfer, its consult
    # call), or a new leg of a channel after someone answered it (blind transfer: Asterisk
    # starts a new CDR for the transferred channel), or one dialled in a transfer context.
    answered_parties: set[str] = set()
    answered_from: dict[str, datetime] = {}
    if len(legs) > 1:
        for l in legs:
            if l.answer is not None and l.dstchannel and l.status == "answered":
                answered_parties.add(l.dstchannel)
                if l.channel not in answered_from or l.answer < answered_from[l.channel]:
                    answered_from[l.channel] = l.answer

    start = origin.start
    duration = origin.duration
    end = origin.end
    leg_rows = []
    party_answered: list[Leg] = []  # answered legs with a called party
    party_rung = False
    answered_ext = first_rung_ext = None
    answered_at = None
    dst_trunk = None
    queue = ring_group = None
    vm_leg = None
    pbx_answered = False  # the dialplan's own applications answered (IVR, announcement, queue)
    in_queue = False
    ivr_visits: list[tuple] = []  # (leg index, ivr, key, at, the leg itself went on)
    dests: list[str | None] = []  # per leg: where it took the call (queue:600, extension:201 ...)
    internal_dst = False
    conference = None
    has_recording = bool(hint and hint.has_recording)
    transferred_to = None
    for i, l in enumerate(legs):
        l_start, l_answer = l.start, l.answer
        off = int((l_start - start).total_seconds())
        if off + l.duration > duration:
            duration = off + l.duration
        if l.end > end:
            end = l.end
        if l.recordingfile:
            has_recording = True
        app = l.lastapp
        ak = app_kind(app) if app else 0
        dst = l.dst
        lctx = l.dcontext
        cf = ctx_flags(lctx) if lctx else 0
        dkind, dname, dsure = chan(l.dstchannel)
        local_ext = None
        if dkind == "local":
            lexten, lctx2 = rules.local_target(dname)
            if dname not in local_halves and ctx_flags(lctx2) & CTX_OUT_LOCAL:
                dkind, dname = "trunk", f"Local/{lctx2}"  # dialling out through a Local channel
            elif lexten and rules.number_class(lexten)[0] == "extension":
                local_ext = lexten[:32]  # Local/202@from-internal: the leg rings extension 202
        elif not dsure and dkind in ("ext", "trunk"):
            if dst == dname:  # dialled by its own name: a phone
                dkind = "ext"
                learn(PEER, dname, "extension")
            else:
                how = _dialled_as(l.lastdata, dname) if l.lastdata else None
                if how is not None:
                    dkind = "ext" if how == "bare" else "trunk"
                    learn(PEER, dname, "extension" if how == "bare" else "trunk")
        party = dkind in ("ext", "trunk", "other")
        st = l.stored
        dest = None
        if st is not None and l.dcontext is None:
            # stored before 0010: the classification it was stored with
            ext, number, via_type, via = st.extension, st.number, st.via_type, st.via
            if via_type == "queue":
                in_queue = True
        else:
            ext = dname[:32] if dkind == "ext" else local_ext
            number = None if ext or not dst or dst == "s" else dst[:64]
            via_type, via = "direct", None
            dcls = user_cls(dst) if has_user and dst else None
            kcls = None  # the number's learned / set class (matters for legs without a party)
            if not party and dst:
                k = known.get((NUMBER, dst))
                kcls = k.cls if k is not None else None
            if ak == APP_VOICEMAIL:
                via_type, via = "voicemail", _mailbox(l.lastdata)
                dest = ("voicemail", via or dst)
            elif ak == APP_QUEUE or cf & CTX_QUEUE or kcls == "queue":
                q = (_first_arg(l.lastdata) if ak == APP_QUEUE else "") or dst
                q = q if q and q != "s" else None
                if q and (user_cls(q) or "queue") == "queue":
                    via_type, via = "queue", q[:32]
                    learn_number(q, "queue")
                    dest = ("queue", via)
                in_queue = True
            elif (ak == APP_IVR or cf & CTX_IVR) and not party:
                if app.lower() == "stasis":
                    name = _first_arg(l.lastdata) or "stasis"
                elif dst and dst != "s" and (len(dst) > 1 or kcls == "ivr"):
                    name = dst  # a menu with a number of its own
                else:
                    # FreePBX runs each IVR in a context of its own (ivr-3); a menu answered
                    # straight in the inbound context is named by the number called.
                    name = (l.did if cf & (CTX_INBOUND | CTX_INTERNAL) and l.did else lctx) or dst or "ivr"
                    if ak == APP_IVR and lctx and not cf & (CTX_INBOUND | CTX_INTERNAL):
                        learn(CONTEXT, lctx, "ivr")
                name = name[:32]
                key = _IVR_KEYS.get(dst, NO_KEY) if cf & CTX_IVR and len(dst) == 1 else NO_KEY
                ivr_visits.append((i, name, key, l.end, False))
                via_type, via = "ivr", name
                dest = ("ivr", name)
            elif cf & CTX_RING_GROUP or kcls == "ring_group" or (
                    parallel_rg and "&" in l.lastdata and app == "Dial" and _parallel(l.lastdata)):
                if dst and dst != "s" and (dcls or "ring_group") == "ring_group":
                    via_type, via = "ring_group", dst[:32]
                    learn_number(dst, "ring_group")
            elif ak == APP_CONFERENCE and dst and dst != "s":
                learn_number(dst, "conference")
                dest = ("conference", dst)
                conference = conference or dst[:64]
            if not party and dst and feature_prefix and dst.startswith(feature_prefix):
                learn_number(dst, "feature")
            if i and ak != APP_VOICEMAIL and (
                    l.channel in answered_parties
                    or (l.channel in answered_from and l_start > answered_from[l.channel])
                    or cf & CTX_TRANSFER):
                via_type, via = "transfer", (ext or number or "")[:32] or None
        if via_type == "transfer" and transferred_to is None:
            transferred_to = via
        if via_type == "queue":
            if queue is None:
                queue = via
        elif via_type == "ring_group" and ring_group is None:
            ring_group = via
        dests.append(dest)  # the special ones; the others from the leg row when an IVR needs them
        if party and cf & CTX_IVR:  # dialled from inside an IVR menu (ivr-3, key 1)
            ivr_visits.append((i, lctx[:32], _IVR_KEYS.get(dst, NO_KEY) if len(dst) == 1 else NO_KEY, l_start, True))
        if party:
            party_rung = True
            if dkind == "ext":
                if first_rung_ext is None:
                    first_rung_ext = dname
            elif dkind == "trunk" and dst_trunk is None:
                dst_trunk = dname
        answered = l.status == "answered"
        if ak == APP_VOICEMAIL:
            if vm_leg is None:
                vm_leg = l
        elif answered:
            if party:
                party_answered.append(l)
                if dkind == "ext":
                    at = l_answer or l_start
                    if answered_at is None or at < answered_at:
                        answered_at, answered_ext = at, dname
            else:
                pbx_answered = True
        if not party and dst and via_type == "direct" and not internal_dst:
            if own.get(dst) or kcls or rules.number_class(dst)[0] is not None:
                internal_dst = True
        elif via_type in ("queue", "ring_group", "ivr", "voicemail"):
            internal_dst = True
        if answered:
            talk = l.billsec
            ring = l.duration - talk
        else:
            ring, talk = l.duration, 0
        data = l.lastdata
        leg_rows.append((i, ext, number, via_type, via, l_start, l_answer, l.end, ring, talk,
                         l.status, l.channel or None, l.dstchannel or None, l.uniqueid,
                         (lctx if len(lctx) <= 80 else lctx[:80]) if lctx else None,
                         (app if len(app) <= 32 else app[:32]) if app else None,
                         (data if len(data) <= 200 else data[:200]) if data else None,
                         (dst if len(dst) <= 80 else dst[:80]) if dst else None))

    # Status and the call's answer time.
    answer = None
    if party_answered:
        status = "answered"
        first = party_answered[0]
        talk_s = first.billsec
        if len(party_answered) > 1:
            first = min(party_answered,
                        key=lambda x: x.answer or x.start + timedelta(seconds=x.duration - x.billsec))
            talk_s = sum(x.billsec for x in party_answered)
        ring_s = min(_secs(start, first.start) + first.duration - first.billsec, duration)
        talk_s = min(talk_s, duration - ring_s)
        answer = start + timedelta(seconds=ring_s)
    else:
        talk_s = 0
        ring_s = duration
        if vm_leg is not None:
            status = "voicemail"
            ring_s = min(_secs(start, vm_leg.start) + vm_leg.duration - vm_leg.billsec, duration)
        elif in_queue:  # left the queue without an agent (the queue_log tells abandon from timeout)
            status = "abandoned"
        else:
            disps = {l.disp for l in legs}
            if "NO ANSWER" in disps or "CANCEL" in disps:
                status = "no_answer"
            elif "BUSY" in disps:
                status = "busy"
            elif "CONGESTION" in disps:
                status = "congestion"
            elif ivr_visits and not party_rung:  # hung up in the IVR menu
                status = "abandoned"
            elif pbx_answered:  # an announcement, a Hangup: the PBX answered, not a person
                status = "no_answer"
            else:
                status = "failed"
            if hint is not None and status == "failed" and hint.status == "congestion":
                status = "congestion"

    # Direction, parties, trunks, DID.
    dst0 = origin.dst
    caller_ext = oname if okind == "ext" else (src if src and rules.number_class(src)[0] == "extension" else None)
    did = None
    if hint is not None:
        did = hint.did
    else:
        did = origin.did or (next((l.did for l in legs if l.did), None) if len(legs) > 1 else None)
    if hint is not None and octx is None:
        direction = hint.direction  # legs stored before 0010 have no context: as it was
    elif okind == "trunk" or oflags & CTX_INBOUND or (did and okind != "ext"):
        direction = "inbound"
    elif okind == "ext" or oflags & CTX_INTERNAL or caller_ext:
        if dst_trunk is not None:
            direction = "outbound"
        elif first_rung_ext or internal_dst or dst0 in ("", "s"):
            direction = "internal"
        else:
            direction = "outbound"
    else:
        direction = "inbound"

    dcls0 = rules.user_number_class(dst0) if dst0 else None
    # Answered by a trunk (forwarded outside, another PBX): no extension of ours answered it.
    callee_ext = answered_ext if status == "answered" else first_rung_ext
    if callee_ext is None and status != "answered" and dst0 and dst0 != queue and dst0 != ring_group:
        if (dcls0 or own.get(dst0) or rules.number_class(dst0)[0]) == "extension" and not in_queue and not ivr_visits:
            callee_ext = dst0
    if direction == "inbound":
        extension, peer = callee_ext, None
    elif direction == "internal":
        extension, peer = caller_ext, callee_ext
    else:
        extension, peer = caller_ext, None

    if hint is not None:
        from_number, from_name, to_number = hint.from_number, hint.from_name, hint.to_number
        outbound_cid, account_code = hint.outbound_cid, hint.account_code
        src_trunk = rules.trunk_label(oname) if direction == "inbound" and okind == "trunk" else None
    else:
        from_number = src or origin.cnum
        from_name = _clid_name(origin.clid) if origin.clid else None
        if from_name == from_number:
            from_name = None
        src_trunk = None
        if direction == "inbound":
            src_trunk = rules.trunk_label(oname) if okind == "trunk" else None
            if did is None and _phone_number(dst0) and rules.number_class(dst0)[0] is None:
                did = dst0
            to_number = did or dst0
        else:
            to_number = dst0
        if to_number in _DIALPLAN_EXTENS:
            to_number = ""
        outbound_cid = (origin.outbound_cnum or None) if direction == "outbound" else None
        account_code = origin.accountcode or None
    if direction != "inbound":
        did = None
    if dst_trunk is not None:
        dst_trunk = rules.trunk_label(dst_trunk)

    # The IVR visits: the key where the CDR shows it, where the call went next.
    ivr_rows = []
    ivr = None
    if ivr_visits:
        dests = [d or _leg_dest(lr, legs[j]) for j, (d, lr) in enumerate(zip(dests, leg_rows))]
    for n, (i, name, key, at, own) in enumerate(ivr_visits):
        if ivr is None:
            ivr = name
        nxt = dests[i] if own else None
        for j in range(i + 1, len(legs) if nxt is None else 0):
            if dests[j] is not None and not is_local_channel(legs[j].channel):
                nxt = dests[j]
                break
        if nxt is None:
            nxt = next((dests[j] for j in range(i + 1, len(legs)) if dests[j] is not None), None)
        ivr_rows.append((name, at, n, key, f"{nxt[0]}:{nxt[1] or ''}"[:64] if nxt else HANGUP))

    if queue:
        dest_type, dest = "queue", queue
    elif ring_group:
        dest_type, dest = "ring_group", ring_group
    elif status == "voicemail":
        dest_type, dest = "voicemail", (_mailbox(vm_leg.lastdata) if vm_leg.lastdata else callee_ext)
    elif direction == "outbound":
        dest_type, dest = "external", to_number
    elif callee_ext:
        dest_type, dest = "extension", callee_ext
    elif ivr:
        dest_type, dest = "ivr", ivr
    elif conference:
        dest_type, dest = "other", conference
    else:
        dest_type, dest = None, None

    call = (
        source_id, uid, start, answer, end,
        (from_number or "")[:64], from_name and from_name[:200], (to_number or "")[:64],
        direction, status, duration, ring_s, talk_s, 0,
        src_trunk and src_trunk[:100], dst_trunk and dst_trunk[:100], did and did[:32],
        outbound_cid and outbound_cid[:32], account_code and account_code[:64], extension and extension[:32],
        peer and peer[:32], answered_ext[:32] if status == "answered" and answered_ext else None,
        dest_type, dest and dest[:64], queue and queue[:32], ring_group and ring_group[:32], ivr, has_recording,
        transferred_to,
    )
    return call, leg_rows, ivr_rows


