"""Local delivery zones: which kecamatan the outlet's courier reaches, and for what fee.

The zones live in the `delivery_zones` setting, one zone per line: `fee: kecamatan, kecamatan`.
Only Kabupaten and Kota Tangerang are served; an address elsewhere is refused at checkout.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from storefront.money import InvalidAmount, parse_rupiah
from storefront.settings.services import get_setting


@dataclass(frozen=True)
class Zone:
    fee: int
    kecamatan: tuple[str, ...]


def zones() -> list[Zone]:
    """The zones of the setting. A line whose fee is not whole rupiah from 0 to MAX_AMOUNT is
    left out (and logged): its kecamatan are not offered rather than charged nonsense."""
    result = []
    for line in get_setting("delivery_zones").splitlines():
        fee, _, names = line.partition(":")
        if not names.strip():
            continue
        try:
            amount = parse_rupiah(fee)
        except InvalidAmount:
            amount = -1
        if amount < 0:
            current_app.logger.warning("delivery_zones: ignoring a line with fee %r", fee[:40])
            continue
        kecamatan = tuple(n.strip() for n in names.split(",") if n.strip())
        result.append(Zone(fee=amount, kecamatan=kecamatan))
    return result


def delivery_fees() -> dict[str, int]:
    """Kecamatan name -> fee, in the order the zones list them."""
    return {name: zone.fee for zone in zones() for name in zone.kecamatan}


def fee_for(kecamatan: str | None) -> int | None:
    """The delivery fee to `kecamatan`, or None when the courier does not go there."""
    if not kecamatan:
        return None
    wanted = kecamatan.strip().casefold()
    for name, fee in delivery_fees().items():
        if name.casefold() == wanted:
            return fee
    return None
