"""The app under benchmark: Sampark as deployed, plus a bare floor endpoint in the same process.

``POST /bench/bare`` parses the form and returns a fixed ``VoiceResponse`` (a Gather
with one Say, then a Redirect): the cost of Flask + TwiML alone, to compare with.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from twilio.twiml.voice_response import Gather, VoiceResponse

from sampark.app import create_app

floor = Blueprint("bench_floor", __name__)


@floor.post("/bench/bare")
def bare() -> Response:
    _ = request.form.get("Digits")
    response = VoiceResponse()
    gather = Gather(action="/bench/bare", method="POST", num_digits=1, timeout=7)
    gather.say(
        "नमस्ते। संपर्क स्वास्थ्य सेवा में आपका स्वागत है।", voice="Google.hi-IN-Standard-A", language="hi-IN"
    )
    response.append(gather)
    response.redirect("/bench/bare", method="POST")
    return Response(str(response), mimetype="text/xml")


app = create_app()
app.register_blueprint(floor)
