"""Who may give how much discount: the largest ``roles.discount_limit_basis_points`` among the user's roles now.

A limit is basis points of a line's (or a document's) price before discount: 1000 = 10%. It is read in the
caller's transaction from the user's current roles (not the ones captured at sign-in), like the permissions
``permissions.check`` reads. The system actor (``"*"``) and a Super Admin have no limit. An actor made by code
with no user row in this store (a job's or a test's) has the limits of the roles it names, as
``live_access`` lets it keep its codes.

``check_discount`` raises ``ValidationError(field, ...)`` naming the limit and what was asked, so the screen
shows it under the discount box: "A discount of 15.00% is above your limit of 10.00%; ask a manager."
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from sqlalchemy import select

from db.models.identity import Role, User, UserRole
from hms_desktop.context import Transaction
from hms_desktop.errors import ValidationError
from hms_desktop.security.permissions import SUPER_ADMIN

NO_LIMIT = 10000


def discount_limit(tx: Transaction) -> int:
    """The acting user's discount limit in basis points (10000: any discount)."""
    actor = tx.ctx.actor
    if "*" in actor.permissions or actor.user_id is None:
        return NO_LIMIT if "*" in actor.permissions else 0
    rows = tx.session.execute(
        select(Role.name, Role.discount_limit_basis_points)
        .join(UserRole, UserRole.role_id == Role.id)
        .where(UserRole.user_id == actor.user_id, UserRole.deleted_at.is_(None), Role.deleted_at.is_(None))
    ).all()
    if not rows and actor.session_family is None and tx.session.get(User, actor.user_id) is None:
        rows = tx.session.execute(
            select(Role.name, Role.discount_limit_basis_points).where(
                Role.name.in_(actor.roles), Role.deleted_at.is_(None)
            )
        ).all()
    if any(name == SUPER_ADMIN for name, _ in rows):
        return NO_LIMIT
    return max((int(limit) for _, limit in rows), default=0)


def percent_text(basis_points: int | Decimal) -> str:
    return f"{Decimal(basis_points).scaleb(-2):.2f}%"


def check_discount(tx: Transaction, *, gross_paise: int, discount_paise: int, field: str = "discount") -> None:
    """Refuse a discount above the acting user's limit (or a negative one, or one above the price)."""
    if discount_paise < 0:
        raise ValidationError(field, "A discount cannot be negative.")
    if discount_paise == 0:
        return
    if discount_paise > gross_paise:
        raise ValidationError(field, "The discount is more than the price.")
    limit = discount_limit(tx)
    # discount / gross > limit / 10000, in integers
    if discount_paise * 10000 > limit * gross_paise:
        # the share asked, rounded UP to 0.01% so a discount just over the limit never reads as the limit
        asked = (Decimal(discount_paise) * 10000 / Decimal(gross_paise)).quantize(Decimal("1"), rounding=ROUND_CEILING)
        if limit == 0:
            raise ValidationError(field, "You may not give a discount; ask a manager.")
        raise ValidationError(
            field, f"A discount of {percent_text(asked)} is above your limit of {percent_text(limit)}; ask a manager."
        )
