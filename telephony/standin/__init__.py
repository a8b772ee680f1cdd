"""A local Twilio stand-in: REST API, call engine running TwiML, phones with scripts."""
