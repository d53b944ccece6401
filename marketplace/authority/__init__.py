"""The authority's back office: the queue of pending revisions with a diff against the public
listing, decisions on revisions and providers (the use cases live in
`marketplace.providers.decisions`), the provider list and the audit log."""
from marketplace.authority.controllers import AuthorityPageController

__all__ = ["AuthorityPageController"]
