"""Responsibility letters 责任书: a shop signs a scheme version (items and points), a signer and a day, a scan of
the signed paper (a photo: checked and stored by :mod:`gridmap.cases.photos`, the same safety checks as a
case's photos — content sniffed, decoded, size-limited, metadata stripped), and the period it is in force."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.cases.photos import check_photos, store_photos
from gridmap.errors import InvalidInput, Problem
from gridmap.inputs import as_id, parse_day, parse_text
from gridmap.shops import schemes
from gridmap.shops.registry import get_shop
from gridmap.store.models import ShopLetter, ShopScheme


def letter_dict(letter: ShopLetter, scheme: ShopScheme | None = None) -> dict[str, Any]:
    return {"id": letter.id, "shop_id": letter.shop_id, "scheme_id": letter.scheme_id,
            "scheme": f"{scheme.name} v{scheme.version}" if scheme else None, "signer": letter.signer,
            "signed_on": letter.signed_on, "scan": letter.scan, "valid_from": letter.valid_from,
            "valid_to": letter.valid_to}  # fmt: skip


def add_letter(session: Session, shop_id: object, data: Mapping[str, Any], actor: Actor, *, instance_dir: Path,
               scan: tuple[str, bytes] | None = None, max_bytes: int = 5 * 1024 * 1024) -> ShopLetter:  # fmt: skip
    """Record a signed letter (signer and signing day required; scheme: an id, default the current default
    scheme; valid from the signing day unless given)."""
    shop = get_shop(session, shop_id)
    problems: list[Problem] = []
    signer = parse_text(data.get("signer"), "signer", problems, 100)
    if not signer:
        problems.append(Problem("who signed is required", field="signer", zh="缺少签订人"))
    signed_on = parse_day(data.get("signed_on"), "signed_on", problems)
    if signed_on is None and not any(p.field == "signed_on" for p in problems):
        problems.append(Problem("the signing day is required", field="signed_on", zh="缺少签订日期"))
    valid_from = parse_day(data.get("valid_from"), "valid_from", problems, default=signed_on)
    valid_to = parse_day(data.get("valid_to"), "valid_to", problems)
    if valid_from and valid_to and valid_to <= valid_from:
        problems.append(Problem("valid_to must come after valid_from", field="valid_to", zh="截止日期应晚于生效日期"))
    scheme_ref = data.get("scheme_id")
    scheme: ShopScheme | None
    if scheme_ref in (None, ""):
        scheme = schemes.current_scheme(session)
    else:
        sid = as_id(scheme_ref)
        scheme = session.get(ShopScheme, sid) if sid is not None else None
        if scheme is None:
            problems.append(Problem(f"no scheme {scheme_ref}", field="scheme_id", zh=f"没有编号为 {scheme_ref} 的方案"))
    stored: str | None = None
    if scan is not None:
        try:
            checked = check_photos([scan], max_bytes, field="scan")
        except InvalidInput as exc:
            problems.extend(exc.problems)
        else:
            if not problems:
                stored = str(store_photos(instance_dir, checked)[0]["file"])
    if problems:
        raise InvalidInput(problems)
    assert scheme is not None and signed_on is not None and valid_from is not None and signer
    letter = ShopLetter(shop_id=shop.id, scheme_id=scheme.id, signer=signer, signed_on=signed_on, scan=stored,
                        valid_from=valid_from, valid_to=valid_to, created_by=actor.name[:100],
                        created_at=dt.datetime.now(dt.UTC))  # fmt: skip
    session.add(letter)
    session.flush()
    audit.record(session, actor, "shop.letter", object_kind="shop", object_id=shop.id,
                 after=letter_dict(letter, scheme))  # fmt: skip
    return letter


def letters_of(session: Session, shop_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(ShopLetter, ShopScheme).join(ShopScheme, ShopScheme.id == ShopLetter.scheme_id)
        .where(ShopLetter.shop_id == shop_id).order_by(ShopLetter.signed_on.desc(), ShopLetter.id.desc())
    ).all()  # fmt: skip
    return [letter_dict(letter, scheme) for letter, scheme in rows]
