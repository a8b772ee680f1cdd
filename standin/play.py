"""<Play>: Twilio fetches the file before playing it; the stand-in does the same."""

from __future__ import annotations

from urllib.parse import urlsplit

from standin.calls import CallsMixin
from standin.resources import Call
from standin.twiml import Verb, resolve

# Twilio fetches a <Play> URL itself (https://www.twilio.com/docs/voice/twiml/play). When
# the fetch fails (a 4xx/5xx answer, no answer) it logs 11200 "HTTP retrieval failure"
# (https://www.twilio.com/docs/api/errors/11200); when the answer is not audio, 13420
# "Play: Invalid Content-Type" (https://www.twilio.com/docs/api/errors/13420), or 13325
# inside a <Gather> (https://www.twilio.com/docs/api/errors/13325). The caller hears
# nothing of that file and the call goes on. Media Twilio hosts itself (its hold music,
# its recordings) is not fetched.
PLAY_FAILED, GATHER_PLAY_FAILED = 13420, 13325
TWILIO_MEDIA_DOMAIN, TWILIO_MUSIC_BUCKETS = "twilio.com", "com.twilio.music."


class PlayMixin(CallsMixin):
    """Fetching a <Play>'s file as Twilio does, and failing as Twilio does."""

    def _media_url(self, call: Call, verb: Verb) -> str | None:
        """The URL Twilio would fetch for this <Play>; None for digits or Twilio's own media."""
        if verb.attr("digits") or not verb.text.strip():
            return None
        url = resolve(call.doc_url, verb.text.strip()) or verb.text.strip()
        host = urlsplit(url).netloc.lower()
        own = urlsplit(self.api_base_url).netloc.lower()
        twilio = host == TWILIO_MEDIA_DOMAIN or host.endswith("." + TWILIO_MEDIA_DOMAIN)
        if host == own or twilio or host.startswith(TWILIO_MUSIC_BUCKETS):
            return None
        return url

    def _fetch_media(self, sid: str, url: str, code: int) -> bool:
        """GET a <Play> file (lock not held); log Twilio's error when it cannot be played."""
        resp = self.fetch(url, "GET", {}, purpose="play", subject=sid)
        if not resp.ok:
            reason = resp.error or f"HTTP {resp.status}"
            self.debugger(11200, f"HTTP retrieval failure: {reason}", call_sid=sid, url=url)
            return False
        if not resp.content_type.lower().startswith("audio/"):
            self.debugger(code, f"Play: Invalid Content-Type {resp.content_type!r}",
                          call_sid=sid, url=url)  # fmt: skip
            return False
        return True
