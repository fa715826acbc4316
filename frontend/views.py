from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie


@ensure_csrf_cookie
def index(request):
    response = render(request, "frontend/index.html")
    # The page's script and style are files of this site; it talks only to this
    # site's API and live feed (WebSocket connections are named explicitly:
    # not every browser counts ws:/wss: to the same host as 'self').
    host = request.get_host()
    response["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' ws://{host} wss://{host}; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    )
    return response
