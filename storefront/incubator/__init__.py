"""The incubator and permit assistance: mentors and the vendors they follow (insights, permit
pipeline, statements summary, dated notes the vendor reads), the permit application board, and
cohorts with their programme report. `flask remind-permit-applications` (run daily)."""

from flask import Blueprint, Flask

from storefront import states

bp = Blueprint("incubator", __name__, cli_group=None)


def init_app(app: Flask) -> None:
    from storefront.incubator import cli  # noqa: F401  (commands)
    from storefront.incubator.cohorts import badges_for
    from storefront.incubator.models import ApplicationStatus, HalalRoute, PermitKind
    from storefront.incubator.views import (  # noqa: F401  (routes)
        board,
        cohorts,
        mentoring,
    )

    states.expose(app, ApplicationStatus, HalalRoute, PermitKind)
    # The maker page (shop/, below this package) shows the cohort badge through this global.
    app.add_template_global(badges_for, "cohort_badges_for")
    app.register_blueprint(bp)
