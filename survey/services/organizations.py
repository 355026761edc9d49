"""Keeping the organisation master in step with the ministry's code list."""
from django.db import transaction
from django.utils import timezone

from survey.audit import Action, audit
from survey.models import Organization, User
from survey.orgmaster import MasterDiff, OrgRecord, diff_master


def _record_of(org: Organization) -> OrgRecord:
    return OrgRecord(org.code, org.prefecture_code, org.prefecture_name, org.name, org.kana, org.kind)


def _fields(record: OrgRecord) -> dict:
    return {
        "prefecture_code": record.prefecture_code, "prefecture_name": record.prefecture_name,
        "name": record.name, "kana": record.kana, "kind": record.kind,
    }


@transaction.atomic
def organizations_sync(*, records: list[OrgRecord], acting_user: User | None, dry_run: bool = False) -> MasterDiff:
    """Bring the master in line with `records`: add new codes, rename changed ones, retire missing ones.

    Idempotent: a second run with the same list changes nothing. Retired organisations are kept
    (their responses stay readable) and marked inactive; a code that reappears is reactivated.
    """
    existing = {o.code: o for o in Organization.objects.select_for_update()}
    active = {code: _record_of(o) for code, o in existing.items() if o.is_active}
    diff = diff_master(active, records)
    if dry_run:
        return diff
    for record in diff.added:
        org = existing.get(record.code)
        if org is None:
            Organization.objects.create(code=record.code, **_fields(record))
        else:  # a retired code that came back
            Organization.objects.filter(pk=org.pk).update(is_active=True, retired_at=None, **_fields(record))
    for _old, new in diff.renamed:
        Organization.objects.filter(code=new.code).update(**_fields(new))
    Organization.objects.filter(code__in=[r.code for r in diff.retired]).update(
        is_active=False, retired_at=timezone.now()
    )
    if diff.has_changes:
        audit(
            Action.MASTER_CHANGE, actor=acting_user, target="organizations",
            added=[r.code for r in diff.added], renamed=[n.code for _, n in diff.renamed],
            retired=[r.code for r in diff.retired],
        )
    return diff
