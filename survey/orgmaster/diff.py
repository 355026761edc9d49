"""Comparing a newly parsed code list with the stored master. Pure Python (no Django)."""

from __future__ import annotations

from survey.orgmaster.records import MasterDiff, OrgRecord


def diff_master(existing: dict[str, OrgRecord], incoming: list[OrgRecord]) -> MasterDiff:
    """Compare the stored master (code -> record) with a newly parsed list.

    retired = in the master but not in the list (e.g. merged away); renamed = same code with a
    different name, kana or kind (the pair is (old, new)).
    """
    incoming_by_code = {r.code: r for r in incoming}
    added, renamed, unchanged = [], [], 0
    for code in sorted(incoming_by_code):
        new, old = incoming_by_code[code], existing.get(code)
        if old is None:
            added.append(new)
        elif (old.name, old.kana, old.kind, old.prefecture_name) != (
            new.name,
            new.kana,
            new.kind,
            new.prefecture_name,
        ):
            renamed.append((old, new))
        else:
            unchanged += 1
    retired = [existing[c] for c in sorted(existing) if c not in incoming_by_code]
    return MasterDiff(added=added, renamed=renamed, retired=retired, unchanged_count=unchanged)
