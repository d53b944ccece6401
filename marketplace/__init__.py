"""Godkendte aktører: the approved-provider marketplace portal.

One package per domain area (providers, reference, accounts, enrolments, outcomes, reviews, audit);
`app.create_app()` builds the Litestar application and `cli` is the `marketplace` command.
"""
import os

# Piccolo finds its engine through this module; set before any table is touched.
os.environ.setdefault("PICCOLO_CONF", "marketplace.piccolo_conf")
