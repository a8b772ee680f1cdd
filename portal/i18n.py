"""The portal's words in English and Hindi (a small catalog; English is the fallback)."""

from __future__ import annotations

from flask import Request, session

LANGUAGES = {"en": "English", "hi": "हिन्दी"}
DEFAULT_LANGUAGE = "en"

#: key -> (English, Hindi)
CATALOG: dict[str, tuple[str, str]] = {
    "app": ("Sampark doctor", "संपर्क डॉक्टर"),
    "login": ("Log in", "लॉग इन"),
    "logout": ("Log out", "लॉग आउट"),
    "identifier": ("Mobile number or staff code", "मोबाइल नंबर या स्टाफ़ कोड"),
    "password": ("Password", "पासवर्ड"),
    "login_failed": ("Wrong mobile number, staff code or password.", "गलत नंबर, कोड या पासवर्ड।"),
    "login_wait": (
        "Too many wrong tries. Wait {seconds} seconds and try again.",
        "बहुत सारी गलत कोशिशें। {seconds} सेकंड रुककर फिर कोशिश करें।",
    ),
    "login_locked": (
        "Too many wrong tries: login is locked until {until}.",
        "बहुत सारी गलत कोशिशें: लॉगिन {until} तक बंद है।",
    ),
    "session_expired": ("Your session ended. Please log in again.", "सत्र समाप्त। फिर लॉग इन करें।"),
    "logged_out": ("You are logged out.", "आप लॉग आउट हो गए।"),
    "bad_form": ("The form expired. Please try again.", "फ़ॉर्म पुराना हो गया। फिर कोशिश करें।"),
    "open_consultations": ("Open consultations", "खुले परामर्श"),
    "recent_consultations": ("Recent consultations", "हाल के परामर्श"),
    "none": ("None.", "कोई नहीं।"),
    "reference": ("Reference", "संदर्भ"),
    "state": ("Status", "स्थिति"),
    "patient": ("Patient", "मरीज़"),
    "name": ("Name", "नाम"),
    "age": ("Age", "उम्र"),
    "sex": ("Sex", "लिंग"),
    "village": ("Village", "गाँव"),
    "mobile": ("Mobile", "मोबाइल"),
    "spoke": ("Health centre", "स्वास्थ्य केंद्र"),
    "anm": ("ANM", "एएनएम"),
    "language": ("Language", "भाषा"),
    "started": ("Started", "शुरू"),
    "intake": ("What the patient said", "मरीज़ ने क्या बताया"),
    "complaint": ("Main complaint", "मुख्य शिकायत"),
    "days": ("For how many days", "कितने दिन से"),
    "danger_signs": ("Danger signs", "ख़तरे के लक्षण"),
    "emergency": ("EMERGENCY", "आपातकाल"),
    "answers": ("IVR answers", "आईवीआर उत्तर"),
    "recording": ("Patient's recording", "मरीज़ की रिकॉर्डिंग"),
    "no_recording": ("No recording.", "कोई रिकॉर्डिंग नहीं।"),
    "past": ("Past consultations of this patient", "इस मरीज़ के पिछले परामर्श"),
    "offered": ("offered", "प्रस्तावित"),
    "yours": ("yours", "आपका"),
    "prescriptions": ("Prescriptions", "पर्चे"),
    "write_rx": ("Write the prescription", "पर्चा लिखें"),
    "diagnosis": ("Provisional diagnosis", "अस्थायी निदान"),
    "medicines": ("Medicines", "दवाएँ"),
    "medicine": ("Medicine", "दवा"),
    "choose": ("— choose —", "— चुनें —"),
    "dose": ("Dose", "खुराक"),
    "frequency": ("Frequency (morning-noon-night)", "कितनी बार (सुबह-दोपहर-रात)"),
    "duration": ("Days", "दिन"),
    "instructions": ("Instructions", "निर्देश"),
    "add_row": ("Add a medicine row", "एक और दवा"),
    "advice": ("Advice", "सलाह"),
    "tests": ("Tests (one per line)", "जाँचें (हर लाइन में एक)"),
    "follow_up": ("Follow-up date", "दोबारा दिखाने की तारीख़"),
    "referral": ("Refer to (where)", "रेफ़र (कहाँ)"),
    "urgency": ("How urgent", "कितना ज़रूरी"),
    "urgency_none": ("no referral", "रेफ़रल नहीं"),
    "urgency_routine": ("routine", "सामान्य"),
    "urgency_urgent": ("urgent (within 24 h)", "ज़रूरी (24 घंटे में)"),
    "urgency_emergency": ("emergency (go now)", "आपातकाल (अभी जाएँ)"),
    "issue": ("Issue prescription", "पर्चा जारी करें"),
    "not_issued": ("Not issued. Please fix:", "जारी नहीं हुआ। कृपया ठीक करें:"),
    "list": ("List", "सूची"),
    "prescription": ("Prescription", "पर्चा"),
    "code": ("Code", "कोड"),
    "version": ("Version", "संस्करण"),
    "date": ("Date", "तारीख़"),
    "doctor": ("Doctor", "डॉक्टर"),
    "qualification": ("Qualification", "योग्यता"),
    "registration": ("Council registration no.", "परिषद पंजीकरण सं."),
    "hub": ("Hub", "हब"),
    "consultation": ("Consultation", "परामर्श"),
    "current": ("current", "मान्य"),
    "superseded": ("replaced by a correction", "सुधार से बदला गया"),
    "replaces": ("Replaces", "इसकी जगह"),
    "reason": ("Reason for the correction", "सुधार का कारण"),
    "correct": ("Correct this prescription", "इस पर्चे को सुधारें"),
    "issue_correction": ("Issue the corrected version", "सुधरा पर्चा जारी करें"),
    "delivery": ("SMS delivery", "एसएमएस डिलीवरी"),
    "to": ("To", "किसे"),
    "status": ("Status", "स्थिति"),
    "refresh": ("Refresh", "ताज़ा करें"),
    "no_sms": ("No SMS yet.", "अभी कोई एसएमएस नहीं।"),
    "forbidden": ("This consultation is not assigned to you.", "यह परामर्श आपको नहीं सौंपा गया।"),
    "not_found": ("Not found.", "नहीं मिला।"),
    "error": ("Something went wrong. Please try again.", "कुछ गड़बड़ हुई। फिर कोशिश करें।"),
    "cannot_prescribe": (
        "A prescription can be written only by the doctor who took this consultation.",
        "पर्चा केवल वही डॉक्टर लिख सकता है जिसने यह परामर्श लिया।",
    ),
    "rx_unavailable": (
        "Prescribing is not available yet on this server.",
        "इस सर्वर पर अभी पर्चा लिखना उपलब्ध नहीं है।",
    ),
    "years": ("y", "वर्ष"),
    "defaults": (
        "Empty boxes take the usual dose shown in grey.",
        "खाली ख़ानों में धूसर दिखी सामान्य खुराक लगेगी।",
    ),
    "form_opens": ("The form opens when the call ends.", "कॉल ख़त्म होने पर फ़ॉर्म खुलेगा।"),
    # complaint keys of the IVR
    "c_fever": ("Fever", "बुख़ार"),
    "c_cough_breathing": ("Cough / breathing", "खाँसी / साँस"),
    "c_pregnancy": ("Pregnancy", "गर्भावस्था"),
    "c_child_illness": ("Child's illness", "बच्चे की बीमारी"),
    "c_diarrhoea_vomiting": ("Diarrhoea / vomiting", "दस्त / उल्टी"),
    "c_skin": ("Skin", "त्वचा"),
    "c_pain": ("Pain", "दर्द"),
    "c_bp_diabetes_followup": ("BP / diabetes follow-up", "बीपी / शुगर फ़ॉलो-अप"),
    "c_other": ("Other", "अन्य"),
    "female": ("female", "महिला"),
    "male": ("male", "पुरुष"),
    "other": ("other", "अन्य"),
}


def pick_language(req: Request) -> str:
    """The chosen language: the session's, else the browser's best match, else English."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return req.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE


def label(prefix: str, key: str | None, lang: str) -> str:
    """A catalog label for a coded value (e.g. a complaint key), else the key made readable."""
    if not key:
        return ""
    if f"{prefix}{key}" in CATALOG:
        return translate(f"{prefix}{key}", lang)
    return key.replace("_", " ")


def translate(key: str, lang: str, **values: object) -> str:
    """The text for ``key`` in ``lang`` (English if missing; the key itself if unknown)."""
    pair = CATALOG.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "hi" and pair[1] else pair[0]
    return text.format(**values) if values else text
