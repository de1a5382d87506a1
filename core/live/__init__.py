"""Live pages: a page that declares ``LIVE = True`` stays current in the browser.

The page carries one static script (static/live.js) that opens a WebSocket to ``/_live``
(socket.py). When something the page depends on changes (hub.py hears the app's
announcements), the server runs the page again as that viewer, through the same handler,
ACCESS, middleware and loader as a browser's GET (runs.py), and sends the changed main
content (content.py), which the script swaps in.
"""
