"""Proving it is really you: confirming the email address, and the password asked again before
sensitive changes (docs/security.md)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storefront.auth import bp
from storefront.auth.access import ANY_ACCOUNT, role_required
from storefront.auth.emails import send_verification
from storefront.auth.forms import ConfirmPasswordForm
from storefront.auth.services import InvalidVerificationLink, OtherAccountsLink, confirm_email
from storefront.auth.sessions import mark_recent_auth
from storefront.extensions import limiter
from storefront.navigation import safe_next


def _account_key() -> str:
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    return request.remote_addr or "unknown"


@bp.route("/verify/<token>")
@role_required(*ANY_ACCOUNT)
def verify_email(token: str):
    try:
        newly = confirm_email(token, current_user)
    except OtherAccountsLink:
        flash(
            _(
                "This link is for another account. Sign out, then sign in with the account "
                "whose address received the link."
            ),
            "error",
        )
        return redirect(url_for("auth.account"))
    except InvalidVerificationLink:
        flash(
            _(
                "This confirmation link has expired or is not valid. Send a new one from your "
                "account page."
            ),
            "error",
        )
        return redirect(url_for("auth.account"))
    if newly:
        flash(_("Your email address is confirmed. Thank you!"), "success")
    else:
        flash(_("Your email address is already confirmed."), "info")
    return redirect(safe_next(url_for("auth.account")))


@bp.route("/verify/resend", methods=["POST"])
@limiter.limit("3 per hour", methods=["POST"], key_func=_account_key, scope="verify-resend")
@limiter.limit("10 per hour", methods=["POST"], scope="verify-resend-ip")
@role_required(*ANY_ACCOUNT)
def resend_verification():
    back = safe_next(url_for("auth.account"))
    if current_user.email_verified:
        flash(_("Your email address is already confirmed."), "info")
    else:
        send_verification(current_user, back)
        flash(
            _("We sent a new confirmation link to %(email)s.", email=current_user.email), "success"
        )
    return redirect(back)


def _reauth_user_key() -> str:
    return "reauth-" + _account_key()


@bp.route("/confirm-password", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"], scope="reauth-ip")
@limiter.limit("5 per minute", methods=["POST"], key_func=_reauth_user_key, scope="reauth-account")
@role_required(*ANY_ACCOUNT)
def confirm_password():
    form = ConfirmPasswordForm()
    if form.validate_on_submit():
        if current_user.check_password(form.password.data):
            mark_recent_auth()
            return redirect(safe_next(url_for("auth.account")))
        form.password.errors.append(_("That password is not right."))
    return render_template("auth/confirm_password.html", form=form)
