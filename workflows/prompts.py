"""What staff and patients hear from the workflow, per language (hi, ur, bn, en).

Short sentences for text-to-speech; ``{name}``-style fields are filled in by
``workflows.twiml``. A missing language falls back to Hindi. Each language's words are
written in the script its voice reads (``workflows.voices``): Urdu in Devanagari.
"""

from __future__ import annotations

from workflows.voices import voice_for

PROMPTS: dict[str, dict[str, str]] = {
    "en": {
        "intro_anm": "Sampark. A patient of your centre needs a consultation.",
        "intro_doctor": "Sampark. A consultation is waiting for you.",
        "emergency": "This is urgent.",
        "patient": "Patient {name}, {age} years, {sex}.",
        "complaint": "Problem: {complaint}, for {days} days.",
        "danger": "Danger signs: {signs}.",
        "menu_anm": (
            "Press 1 to take the case and join now. Press 2 to take it later. "
            "Press 3 to pass it. Press 9 to hear the patient."
        ),
        "menu_doctor": "Press 1 to accept. Press 2 to decline. Press 9 to hear the patient.",
        "wrong_key": "That key is not an option.",
        "joining": "Thank you. Connecting you now.",
        "anm_later": "Thank you. We will call you again in a few minutes.",
        "anm_wait_doctor": "Thank you. We will call you when the doctor is ready.",
        "passed": "Thank you. We will ask someone else.",
        "taken": "Thank you. This case has been taken care of.",
        "patient_wait": "Please stay on the line. We are connecting you to the health worker "
        "and the doctor.",
        "patient_callback_hello": "Namaste. This is Sampark calling about your consultation. "
        "Please stay on the line.",
        "callback_later": "We could not connect a doctor yet. We will call you back soon. "
        "Thank you.",
        "closing": "The doctor has finished. Your prescription will come by SMS. Thank you.",
        "patient_missing": "The patient could not be reached. We will try again later. Thank you.",
        "apology": "Sorry, we have a technical problem. We will call you back.",
        "male": "male",
        "female": "female",
        "other": "other",
    },
    "hi": {
        "intro_anm": "सम्पर्क। आपके केंद्र के एक मरीज़ को परामर्श चाहिए।",
        "intro_doctor": "सम्पर्क। एक परामर्श आपका इंतज़ार कर रहा है।",
        "emergency": "यह आपातकालीन है।",
        "patient": "मरीज़ {name}, उम्र {age} साल, {sex}।",
        "complaint": "समस्या: {complaint}, {days} दिन से।",
        "danger": "खतरे के लक्षण: {signs}।",
        "menu_anm": (
            "केस लेकर अभी जुड़ने के लिए 1 दबाएँ। बाद में लेने के लिए 2 दबाएँ। "
            "आगे भेजने के लिए 3 दबाएँ। मरीज़ की आवाज़ सुनने के लिए 9 दबाएँ।"
        ),
        "menu_doctor": "स्वीकार करने के लिए 1, मना करने के लिए 2, मरीज़ को सुनने के लिए 9 दबाएँ।",
        "wrong_key": "यह बटन सही नहीं है।",
        "joining": "धन्यवाद। आपको अभी जोड़ रहे हैं।",
        "anm_later": "धन्यवाद। हम आपको कुछ मिनट में फिर फ़ोन करेंगे।",
        "anm_wait_doctor": "धन्यवाद। डॉक्टर तैयार होते ही हम आपको फ़ोन करेंगे।",
        "passed": "धन्यवाद। हम किसी और से पूछेंगे।",
        "taken": "धन्यवाद। यह केस देख लिया गया है।",
        "patient_wait": "कृपया लाइन पर बने रहें। हम आपको स्वास्थ्य कार्यकर्ता और डॉक्टर से जोड़ रहे हैं।",
        "patient_callback_hello": "नमस्ते। सम्पर्क से आपके परामर्श के लिए फ़ोन है। कृपया लाइन पर बने रहें।",
        "callback_later": "अभी डॉक्टर से नहीं जोड़ पाए। हम जल्द ही आपको वापस फ़ोन करेंगे। धन्यवाद।",
        "closing": "डॉक्टर ने बात पूरी कर ली है। आपकी पर्ची SMS से आएगी। धन्यवाद।",
        "patient_missing": "मरीज़ से बात नहीं हो पाई। हम बाद में फिर कोशिश करेंगे। धन्यवाद।",
        "apology": "माफ़ कीजिए, तकनीकी दिक्कत है। हम आपको वापस फ़ोन करेंगे।",
        "male": "पुरुष",
        "female": "महिला",
        "other": "अन्य",
    },
    # Urdu in Devanagari: the voice that speaks it is Hindi's (workflows/voices.py).
    "ur": {
        "intro_anm": "सम्पर्क। आपके मरकज़ के एक मरीज़ को मशवरा चाहिए।",
        "intro_doctor": "सम्पर्क। एक मशवरा आपका इंतिज़ार कर रहा है।",
        "emergency": "ये हंगामी है।",
        "patient": "मरीज़ {name}, उम्र {age} साल, {sex}।",
        "complaint": "मसला: {complaint}, {days} दिन से।",
        "danger": "ख़तरे की अलामात: {signs}।",
        "menu_anm": (
            "केस लेकर अभी जुड़ने के लिए 1 दबाएँ। बाद में लेने के लिए 2। "
            "आगे भेजने के लिए 3। मरीज़ की आवाज़ सुनने के लिए 9।"
        ),
        "menu_doctor": "क़बूल करने के लिए 1, इनकार के लिए 2, मरीज़ को सुनने के लिए 9 दबाएँ।",
        "wrong_key": "ये बटन दुरुस्त नहीं।",
        "joining": "शुक्रिया। आपको अभी जोड़ रहे हैं।",
        "anm_later": "शुक्रिया। हम आपको चंद मिनट में फिर फ़ोन करेंगे।",
        "anm_wait_doctor": "शुक्रिया। डॉक्टर के तैयार होते ही हम आपको फ़ोन करेंगे।",
        "passed": "शुक्रिया। हम किसी और से पूछेंगे।",
        "taken": "शुक्रिया। ये केस देख लिया गया है।",
        "patient_wait": "बराह-ए-करम लाइन पर रहें। हम आपको सेहत कारकुन और डॉक्टर से जोड़ रहे हैं।",
        "patient_callback_hello": "आदाब। सम्पर्क से आपके मशवरे के लिए फ़ोन है। बराह-ए-करम लाइन पर रहें।",
        "callback_later": "अभी डॉक्टर से नहीं जोड़ सके। हम जल्द आपको वापस फ़ोन करेंगे। शुक्रिया।",
        "closing": "डॉक्टर ने बात मुकम्मल कर ली। आपका नुस्ख़ा SMS से आएगा। शुक्रिया।",
        "patient_missing": "मरीज़ से राब्ता नहीं हो सका। हम बाद में फिर कोशिश करेंगे। शुक्रिया।",
        "apology": "माफ़ कीजिए, तकनीकी मसला है। हम आपको वापस फ़ोन करेंगे।",
        "male": "मर्द",
        "female": "औरत",
        "other": "दीगर",
    },
    "bn": {
        "intro_anm": "সম্পর্ক। আপনার কেন্দ্রের একজন রোগীর পরামর্শ দরকার।",
        "intro_doctor": "সম্পর্ক। একটি পরামর্শ আপনার জন্য অপেক্ষা করছে।",
        "emergency": "এটি জরুরি।",
        "patient": "রোগী {name}, বয়স {age} বছর, {sex}।",
        "complaint": "সমস্যা: {complaint}, {days} দিন ধরে।",
        "danger": "বিপদের লক্ষণ: {signs}।",
        "menu_anm": (
            "কেস নিয়ে এখনই যুক্ত হতে 1 টিপুন। পরে নিতে 2। অন্যকে দিতে 3। রোগীর কথা শুনতে 9 টিপুন।"
        ),
        "menu_doctor": "গ্রহণ করতে 1, না বলতে 2, রোগীর কথা শুনতে 9 টিপুন।",
        "wrong_key": "এই বোতামটি ঠিক নয়।",
        "joining": "ধন্যবাদ। এখনই যুক্ত করছি।",
        "anm_later": "ধন্যবাদ। কয়েক মিনিট পরে আবার ফোন করব।",
        "anm_wait_doctor": "ধন্যবাদ। ডাক্তার প্রস্তুত হলে আপনাকে ফোন করব।",
        "passed": "ধন্যবাদ। আমরা অন্য কাউকে জিজ্ঞেস করব।",
        "taken": "ধন্যবাদ। এই কেসটি দেখা হয়েছে।",
        "patient_wait": "অনুগ্রহ করে লাইনে থাকুন। স্বাস্থ্যকর্মী ও ডাক্তারের সাথে যুক্ত করছি।",
        "patient_callback_hello": "নমস্কার। সম্পর্ক থেকে আপনার পরামর্শের জন্য ফোন। লাইনে থাকুন।",
        "callback_later": "এখনও ডাক্তারের সাথে যুক্ত করা যায়নি। শীঘ্রই আবার ফোন করব। ধন্যবাদ।",
        "closing": "ডাক্তার কথা শেষ করেছেন। আপনার প্রেসক্রিপশন SMS-এ আসবে। ধন্যবাদ।",
        "patient_missing": "রোগীর সাথে যোগাযোগ হয়নি। পরে আবার চেষ্টা করব। ধন্যবাদ।",
        "apology": "দুঃখিত, প্রযুক্তিগত সমস্যা। আমরা আবার ফোন করব।",
        "male": "পুরুষ",
        "female": "মহিলা",
        "other": "অন্য",
    },
}

COMPLAINTS: dict[str, dict[str, str]] = {
    "en": {
        "fever": "fever",
        "cough_breathing": "cough or breathing trouble",
        "pregnancy": "pregnancy",
        "child_illness": "a child's illness",
        "diarrhoea_vomiting": "diarrhoea or vomiting",
        "skin": "skin problem",
        "pain": "pain",
        "bp_diabetes_followup": "blood pressure or diabetes follow-up",
        "other": "other problem",
    },
    "hi": {
        "fever": "बुखार",
        "cough_breathing": "खाँसी या साँस की तकलीफ़",
        "pregnancy": "गर्भावस्था",
        "child_illness": "बच्चे की बीमारी",
        "diarrhoea_vomiting": "दस्त या उल्टी",
        "skin": "त्वचा की समस्या",
        "pain": "दर्द",
        "bp_diabetes_followup": "बीपी या शुगर की जाँच",
        "other": "दूसरी समस्या",
    },
    "ur": {
        "fever": "बुख़ार",
        "cough_breathing": "खाँसी या साँस की तकलीफ़",
        "pregnancy": "हमल",
        "child_illness": "बच्चे की बीमारी",
        "diarrhoea_vomiting": "दस्त या उल्टी",
        "skin": "जिल्द का मसला",
        "pain": "दर्द",
        "bp_diabetes_followup": "ब्लड प्रेशर या शुगर की जाँच",
        "other": "दूसरा मसला",
    },
    "bn": {
        "fever": "জ্বর",
        "cough_breathing": "কাশি বা শ্বাসকষ্ট",
        "pregnancy": "গর্ভাবস্থা",
        "child_illness": "শিশুর অসুখ",
        "diarrhoea_vomiting": "ডায়রিয়া বা বমি",
        "skin": "চর্মরোগ",
        "pain": "ব্যথা",
        "bp_diabetes_followup": "রক্তচাপ বা ডায়াবেটিস পরীক্ষা",
        "other": "অন্য সমস্যা",
    },
}


def text(language: str, key: str, **fields: object) -> str:
    """The prompt ``key`` in ``language`` (Hindi if missing), with fields filled in."""
    catalog = PROMPTS.get(language) or PROMPTS["hi"]
    template = catalog.get(key) or PROMPTS["en"][key]
    return template.format(**fields) if fields else template


def complaint_name(language: str, complaint: str | None) -> str:
    """A complaint key said in ``language``."""
    names = COMPLAINTS.get(language) or COMPLAINTS["hi"]
    return names.get(complaint or "other", (complaint or "other").replace("_", " "))


def voice(language: str) -> tuple[str, str]:
    """Twilio's (language, voice) for ``language``, from the one table (``workflows.voices``)."""
    v = voice_for(language)
    return v.say_language, v.voice
