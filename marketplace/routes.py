"""Every route handler of the portal, in one list: a newcomer finds any URL's controller here.

Each domain package contributes its controllers; add yours with one line.
"""
from marketplace.providers.controllers import ProviderApiController, ProviderPageController, open_data_csv
from marketplace.system.controllers import SystemController

ROUTE_HANDLERS: list = [
    SystemController,
    ProviderApiController,
    open_data_csv,
    ProviderPageController,
]
