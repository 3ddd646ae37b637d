"""Renderers shared by endpoints that stream files (downloads, exports)."""

import json

from rest_framework.renderers import BaseRenderer


class AnyMediaRenderer(BaseRenderer):
    """Lets a file be requested with any Accept header; errors still render as JSON."""

    media_type = "*/*"
    format = "file"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode()
