"""A tiny TwiML application for the engine tests: it checks every request's signature with
twilio's RequestValidator (403 otherwise) and keeps what it received."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

BASE = "http://clinic.test"


def make_app(auth_token: str) -> Flask:
    """The app; ``app.config["SEEN"]`` lists (path, form, signature_valid) in arrival order."""
    app = Flask(__name__)
    seen: list[dict[str, Any]] = []
    app.config["SEEN"] = seen
    app.config["BROKEN"] = "<Response><Say>unclosed"
    validator = RequestValidator(auth_token)

    @app.before_request
    def check_signature() -> Response | None:
        params = request.form.to_dict(flat=True) if request.method == "POST" else {}
        valid = validator.validate(
            request.url, params, request.headers.get("X-Twilio-Signature", "")
        )
        seen.append(
            {
                "path": request.path,
                "form": params,
                "args": request.args.to_dict(),
                "valid": valid,
                "token": request.headers.get("I-Twilio-Idempotency-Token"),
            }
        )
        if not valid:
            return Response("bad signature", status=403)
        return None

    def twiml(resp: VoiceResponse | str) -> Response:
        return Response(str(resp), mimetype="text/xml")

    @app.post("/voice")
    def voice() -> Response:
        r = VoiceResponse()
        g = Gather(num_digits=1, action="/menu", timeout=int(request.args.get("timeout", 5)))
        g.say("Press 1 to record a message, 2 to talk to the doctor.")
        r.append(g)
        r.say("We did not get your choice.")
        r.redirect("/record")
        return twiml(r)

    @app.post("/menu")
    def menu() -> Response:
        digit = request.form.get("Digits")
        if digit == "1":
            return record()
        if digit == "2":
            return conference()
        r = VoiceResponse()
        r.hangup()
        return twiml(r)

    @app.post("/record")
    def record() -> Response:
        r = VoiceResponse()
        r.say("Describe the problem after the beep.")
        r.record(
            action="/recorded",
            max_length=60,
            timeout=3,
            recording_status_callback="/recording-status",
        )
        r.say("We did not hear anything.")
        r.hangup()
        return twiml(r)

    @app.post("/recorded")
    def recorded() -> Response:
        r = VoiceResponse()
        r.say("Thank you.")
        r.redirect("/goodbye")
        return twiml(r)

    @app.post("/goodbye")
    def goodbye() -> Response:
        r = VoiceResponse()
        r.say("Goodbye.")
        r.hangup()
        return twiml(r)

    @app.post("/conference")
    def conference() -> Response:
        r = VoiceResponse()
        d = Dial(action="/after-conference")
        d.conference(
            request.args.get("room", "room-1"),
            start_conference_on_enter=False,
            end_conference_on_exit=False,
            wait_url="/wait",
            status_callback="/conference-status",
            status_callback_event="start end join leave mute hold",
            participant_label="patient",
        )
        r.append(d)
        return twiml(r)

    @app.post("/after-conference")
    def after_conference() -> Response:
        r = VoiceResponse()
        r.say("The doctor has left. Goodbye.")
        return twiml(r)

    @app.post("/wait")
    def wait() -> Response:
        r = VoiceResponse()
        r.play("http://clinic.test/music.mp3")
        return twiml(r)

    @app.post("/broken")
    def broken() -> Response:
        return Response(app.config["BROKEN"], mimetype="text/xml")

    @app.post("/fails")
    def fails() -> Response:
        return Response("boom", status=500)

    @app.post("/sms")
    def sms() -> Response:
        body = request.form.get("Body", "")
        return twiml(f"<Response><Message>Got: {body}</Message></Response>")

    @app.post("/call-the-doctor")
    def call_the_doctor() -> Response:
        """While handling a webhook, the app calls the REST API (as the real app does)."""
        from twilio.rest import Client

        client = Client(app.config["ACCOUNT"], auth_token)
        client.api.base_url = app.config["API"]
        client.conferences("room-rest").participants.create(
            from_=request.form["To"], to=app.config["DOCTOR"], label="doctor",
            end_conference_on_exit=True,
        )  # fmt: skip
        r = VoiceResponse()
        d = Dial()
        d.conference(
            "room-rest",
            participant_label="patient",
            status_callback="/conference-status",
            status_callback_event="join leave",
        )
        r.append(d)
        return twiml(r)

    @app.post("/echo")
    def echo() -> Response:
        docs = app.config.get("DOCS", [])
        doc = request.args.get("doc")
        return twiml(docs[int(doc)] if doc is not None else "<Response/>")

    for name in ("status", "conference-status", "recording-status", "sms-status"):
        app.add_url_rule(f"/{name}", name, lambda: Response("", status=204), methods=["POST"])
    return app
