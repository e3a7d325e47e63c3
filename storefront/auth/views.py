"""Account pages: sign in and out, register, reset and change the password."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from sqlalchemy.exc import IntegrityError

from storefront.auth import bp
from storefront.auth.access import ANY_ACCOUNT, public, role_required
from storefront.auth.emails import send_registration_attempt, send_verification
from storefront.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    MessagePreferencesForm,
    RegisterForm,
    ResetPasswordForm,
)
from storefront.auth.models import Role
from storefront.auth.services import (
    AccountError,
    InvalidResetToken,
    WrongPassword,
    authenticate,
    change_password,
    find_user_by_email,
    make_reset_token,
    normalise_email,
    register_account,
    reset_password,
    set_message_preferences,
    user_for_reset_token,
)
from storefront.auth.sessions import sign_in, sign_out
from storefront.auth.throttle import password_guess_limits
from storefront.extensions import db, limiter
from storefront.forms import form_error
from storefront.i18n import current_language
from storefront.links import external_url
from storefront.mail import send_template
from storefront.navigation import safe_next, stash_link_token
from storefront.phones import display_phone

# The emailed reset link's token, once opened (navigation.stash_link_token).
RESET_LINK = "password_reset_link"


def _register_email_key() -> str:
    return "register-email:" + (request.form.get("email") or "").strip().lower()


def home_for(user) -> str:
    """Where a person lands after signing in when no `next` page was asked for: a cashier's
    work is the counter, a mentor's their vendors; everyone else starts at the shop."""
    if user.role == Role.CASHIER:
        return url_for("pos.counter")
    if user.role == Role.MENTOR:
        return url_for("incubator.mentor_home")
    return url_for("shop.home")


@bp.route("/login", methods=["GET", "POST"])
@password_guess_limits("email")
@public
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(home_for(current_user)))
    form = LoginForm(email=request.args.get("email", ""))
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            # One message for an unknown email, a wrong password or a closed account.
            flash(_("Email or password is not right. Please try again."), "error")
        else:
            sign_in(user, remember=form.remember.data)
            flash(_("Welcome back, %(name)s.", name=user.name), "success")
            return redirect(safe_next(home_for(user)))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@public
def logout():
    sign_out()
    flash(_("You have signed out."), "info")
    return redirect(url_for("shop.home"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"], scope="register-ip")
@limiter.limit("3 per hour", methods=["POST"], key_func=_register_email_key, scope="register-email")
@public
def register():
    """A new address gets an account and a confirmation link; a known one gets nothing new and
    its owner an email. The visitor sees the same answer either way (docs/security.md)."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                outcome = register_account(
                    name=form.name.data,
                    email=form.email.data,
                    phone=form.phone.data or None,
                    password=form.password.data,
                    locale=current_language(),
                )
        except IntegrityError:
            # The same address registered a moment ago by another request, which sends the
            # mail; this one answers the same as always.
            outcome = None
        next_path = safe_next("") or None
        if outcome is not None and outcome.account is not None:
            send_verification(outcome.account, next_path)
        elif outcome is not None:
            send_registration_attempt(outcome.existing)
        email = normalise_email(form.email.data)
        flash(
            _(
                "Check your email: we sent a message to %(email)s. Open the link in it to "
                "confirm your address, then sign in.",
                email=email,
            ),
            "info",
        )
        return redirect(url_for("auth.login", email=email, next=next_path))
    return render_template("auth/register.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"], scope="password-forgot")
@public
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = find_user_by_email(normalise_email(form.email.data))
        if user is not None and user.active:
            token = make_reset_token(user)
            link = external_url("auth.reset_password_page", token=token)
            minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
            send_template(
                user.email,
                "auth/email/reset_password.txt",
                _l("Reset your password at Gerai Tangerang Gemilang"),
                locale=current_language(),
                user=user,
                link=link,
                minutes=minutes,
            )
        # Same answer whether or not the account exists: no way to probe for emails.
        flash(
            _("If an account uses that email, we have sent a link to reset the password."),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset", methods=["GET", "POST"])
@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password_page(token: str | None = None):
    if (moved := stash_link_token(RESET_LINK, token)) is not None:
        return moved
    token = session.get(RESET_LINK, "")
    try:
        user_for_reset_token(token)
    except InvalidResetToken:
        session.pop(RESET_LINK, None)
        flash(
            _("This reset link has expired or was already used. Ask for a new one."),
            "error",
        )
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user = reset_password(token, form.password.data)
        session.pop(RESET_LINK, None)
        logout_user()
        flash(_("Your password has been changed. Sign in with the new one."), "success")
        return redirect(url_for("auth.login", email=user.email))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/", methods=["GET"])
@role_required(*ANY_ACCOUNT)
def account():
    form = MessagePreferencesForm(
        message_channel=current_user.message_channel, phone=display_phone(current_user.phone)
    )
    return render_template("auth/account.html", form=form)


@bp.route("/messages", methods=["POST"])
@role_required(*ANY_ACCOUNT)
def message_preferences():
    form = MessagePreferencesForm()
    if form.validate_on_submit():
        try:
            set_message_preferences(
                current_user, form.message_channel.data or "email", form.phone.data
            )
        except AccountError as exc:
            form_error(form, exc, default="message_channel")
        else:
            flash(_("Saved: this is how we will keep you posted."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form), 400


@bp.route("/password", methods=["GET", "POST"])
@role_required(*ANY_ACCOUNT)
def change_password_page():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current.data, form.password.data)
        except WrongPassword:
            form.current.errors.append(_("The current password is not right."))
        else:
            # The session id includes a password fingerprint; sign in again with the new one
            # so this device stays signed in while every other device is signed out.
            sign_in(current_user._get_current_object())
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form)
