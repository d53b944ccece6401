"""Every route handler of the portal, in one list: a newcomer finds any URL's controller here.

Each domain package contributes its controllers; add yours with one line.
"""
from marketplace.accounts.controllers import AccountController, LoginPageController
from marketplace.authority.controllers import AuthorityPageController
from marketplace.compare.controllers import compare_page
from marketplace.enrolments.controllers import (
    ChooseController, CitizenAccountController, CitizenEnrolmentController, ProviderEnrolmentController,
)
from marketplace.outcomes.controllers import AuthorityOutcomesController, national_results, ratings_history_csv
from marketplace.providers.controllers import ProviderApiController, ProviderPageController, open_data_csv
from marketplace.providers.self_service import ProviderAreaController, RegistrationPageController
from marketplace.reviews.controllers import (
    AuthorityReviewController, CitizenReviewController, ProviderReviewController, review_for_provider,
)
from marketplace.system.controllers import SystemController

ROUTE_HANDLERS: list = [
    SystemController,
    ProviderApiController,
    open_data_csv,
    ratings_history_csv,  # /api/ratings-history.csv
    national_results,  # /api/results/national
    ProviderPageController,
    LoginPageController,
    AccountController,  # /account/password
    CitizenAccountController,  # /signup, /me, /me/profile
    compare_page,  # /compare
    ChooseController,  # /providers/{slug}/choose
    CitizenEnrolmentController,  # /me/enrolments, receipts, switch
    ProviderEnrolmentController,  # /provider/enrolments
    CitizenReviewController,  # /me/enrolments/{ref}/review
    review_for_provider,  # /providers/{slug}/review
    AuthorityReviewController,  # /authority/reviews
    ProviderReviewController,  # /provider/reviews
    RegistrationPageController,  # /registrer
    ProviderAreaController,  # /provider (overview, confirm), /provider/listing (editor, submit), /provider/capacity
    AuthorityPageController,  # /authority (front page), queue, revisions, providers, audit
    AuthorityOutcomesController,  # /authority/outcomes, /authority/results
]
