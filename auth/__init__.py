"""Authentication: passwords (bcrypt off the event loop), input rules, session cookies in both
modes, and the sign-up / login / logout flows that pages and the API share."""
