"""The interactive API docs at /schema, served whole by the app: Swagger UI from /static,
started by a script file (no inline script or style, no CDN, so it works offline and under
the app's Content-Security-Policy)."""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

SWAGGER = "/static/vendor/swagger-ui"


class LocalSwaggerUI(OpenAPIRenderPlugin):
    def __init__(self) -> None:
        super().__init__(path="/swagger", favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = escape(str(openapi_schema["info"]["title"]))
        spec_url = escape(self.get_openapi_json_route(request))
        return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="{SWAGGER}/swagger-ui.css">
</head>
<body>
  <noscript>The API docs need JavaScript; the schema itself is at {spec_url}.</noscript>
  <div id="swagger-ui" data-spec-url="{spec_url}"></div>
  <script src="{SWAGGER}/swagger-ui-bundle.js"></script>
  <script src="/static/api-docs.js"></script>
</body>
</html>
""".encode()
