"""Authentication: input rules, session cookies in both modes (and the Authenticator core's
ACCESS stages ask), throttling, and the sign-up / login / logout flows that pages and the API
share. Route code is typed with SignedIn or Anyone."""

from auth.requests import Anyone, SignedIn

__all__ = ["Anyone", "SignedIn"]
