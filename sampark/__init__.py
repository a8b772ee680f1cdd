"""Sampark: telephony-driven telemedicine for rural India."""
