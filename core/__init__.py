"""The small framework the app stands on: file routing, pages with loaders, API routes.

It knows nothing about users, sessions or posts; the app plugs those in through make_app().
"""
