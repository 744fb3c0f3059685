"""Who may see what. Every query function takes a Scope; an empty scope sees nothing.

A Scope lists extensions, extension groups and queues. ``Scope.everything()`` is the
administrator's (and, until logins exist, everybody's) scope. The clauses built here are
the only way a query narrows to a scope, so no page, export or link can bypass it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from data import schema as s


@dataclass(frozen=True)
class Scope:
    all: bool = False
    extensions: frozenset[str] = field(default_factory=frozenset)
    groups: frozenset[str] = field(default_factory=frozenset)  # extension-group names
    queues: frozenset[str] = field(default_factory=frozenset)
    # Show external numbers masked (+420777••••56): set from the role's setting
    # (data.privacy.masking_for_role); query builders mask in their select expressions
    # (data.privacy.masked), so pages, exports and emails never receive the full number.
    mask_external: bool = False

    @classmethod
    def everything(cls) -> "Scope":
        return cls(all=True)

    @classmethod
    def nothing(cls) -> "Scope":
        return cls()

    @classmethod
    def of(cls, *, extensions=(), groups=(), queues=(), mask_external: bool = False) -> "Scope":
        return cls(
            all=False,
            extensions=frozenset(map(str, extensions)),
            groups=frozenset(map(str, groups)),
            queues=frozenset(map(str, queues)),
            mask_external=bool(mask_external),
        )

    @property
    def is_empty(self) -> bool:
        return not self.all and not (self.extensions or self.groups or self.queues)

    def key(self) -> str:
        """Stable text form, for cache keys (a masked scope never shares a cached result)."""
        mark = "#masked" if self.mask_external else ""
        if self.all:
            return "*" + mark
        return "|".join(
            ",".join(sorted(part)) for part in (self.extensions, self.groups, self.queues)
        ) + mark


def group_members(groups) -> sa.Select:
    """(group name, member extension) of the named extension groups."""
    g, m = s.extension_group, s.extension_group_member
    return sa.select(g.c.name, m.c.extension).join(m, m.c.group_id == g.c.id).where(g.c.name.in_(sorted(groups)))


def expand_groups(scope: Scope, engine=None) -> Scope:
    """The same scope with its extension groups replaced by their member extensions, read
    now (at execution time, before statements are built). A literal ``IN (...)`` list lets
    PostgreSQL read the per-extension indexes; the group sub-select of ``_ext_in`` made it
    filter every row of the range. A group without members (or unknown) stays a group: it
    still matches nothing, and a filter by it still narrows to nothing."""
    if scope.all or not scope.groups:
        return scope
    from data import db  # the one executor; imported here so the clause builders stay pure

    members: dict[str, set[str]] = {}
    for name, extension in db.fetch_all(group_members(scope.groups), engine):
        members.setdefault(name, set()).add(str(extension))
    return Scope(all=False, extensions=scope.extensions.union(*members.values()),
                 groups=frozenset(g for g in scope.groups if g not in members), queues=scope.queues,
                 mask_external=scope.mask_external)


def _ext_in(column, scope: Scope):
    clauses = []
    if scope.extensions:
        clauses.append(column.in_(sorted(scope.extensions)))
    if scope.groups:
        g, m = s.extension_group, s.extension_group_member
        clauses.append(
            column.in_(sa.select(m.c.extension).join(g, g.c.id == m.c.group_id).where(g.c.name.in_(sorted(scope.groups))))
        )
    return clauses


def call_clause(scope: Scope, calls=s.call):
    """Rows of `call` (or a table with extension / peer_extension / queue) the scope may see."""
    if scope.all:
        return sa.true()
    clauses = _ext_in(calls.c.extension, scope) + _ext_in(calls.c.peer_extension, scope)
    if scope.queues:
        clauses.append(calls.c.queue.in_(sorted(scope.queues)))
    return sa.or_(*clauses) if clauses else sa.false()


def extension_clause(scope: Scope, column):
    """A column holding an extension / agent number, narrowed to the scope."""
    if scope.all:
        return sa.true()
    clauses = _ext_in(column, scope)
    return sa.or_(*clauses) if clauses else sa.false()


def queue_clause(scope: Scope, column):
    """A column holding a queue number, narrowed to the scope's queues."""
    if scope.all:
        return sa.true()
    return column.in_(sorted(scope.queues)) if scope.queues else sa.false()
