"""Behavioural tests of the shipped model (after Made-With-ML's tests/model/test_behavioral.py).

Invariance: small wording changes must not flip a label. Directional: a change that adds
spam cues must raise the spam probability. Minimum functionality: textbook cases are right.
"""

import pytest

# One worker fits the session's ``sms_model`` for this module and tests/ml/test_sklearn_backend.py.
pytestmark = pytest.mark.xdist_group("sms-model")

SPAM_CUE = " WIN a FREE prize, call 09061701461 now"


def spam_probability(model, text: str) -> float:
    return float(model.predict_proba_one(text)[model.classes_.index("spam")])


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("WINNER!! You have won a £1000 cash prize. Call 09061701461 to claim", "spam"),
        ("URGENT! Your mobile number has been awarded a £2000 bonus. Call 09058094565 now", "spam"),
        ("FREE entry into our weekly competition, txt WIN to 80086 to claim your prize", "spam"),
        ("see you at the station at 6", "ham"),
        ("Ok lar... I'll call you when I get home", "ham"),
        ("Can you pick up some milk on the way back? Thanks", "ham"),
    ],
)
def test_textbook_cases(sms_model, text, label):
    proba = sms_model.predict_proba_one(text)
    assert sms_model.classes_[int(proba.argmax())] == label


@pytest.mark.parametrize(
    "variants",
    [
        [
            "Hey John, see you at the station at 6",
            "Hey Priya, see you at the station at 6",
            "Hey Mike, see you at the station at 7",
            "hey john see you at the station at 6!",
        ],
        [
            "I'll be home by 8, can you call me then?",
            "I'll be home by 10, can you call me then?",
            "Ill be home by 9 can u call me then?",
        ],
        [
            "Sorry, I'm running 10 minutes late",
            "Sorry, I'm running 20 minutes late",
            "sorry im running 15 mins late",
        ],
        [
            "Happy birthday Sarah! Have a great day",
            "Happy birthday Tom! Have a great day",
            "Happy bday Sarah, have a great day :)",
        ],
    ],
)
def test_small_wording_changes_do_not_flip_ham(sms_model, variants):
    for text in variants:
        assert spam_probability(sms_model, text) < 0.5, text


@pytest.mark.parametrize(
    "spam",
    [
        "WINNER!! You have won a £1000 cash prize. Call 09061701461 to claim",
        "WINNER!! You have won a £2000 cash prize. Call 09061701462 to claim",
        "Winner! You've won a £1000 cash prize, call 09061701461 to claim it",
    ],
)
def test_changing_amounts_and_numbers_keeps_spam(sms_model, spam):
    assert spam_probability(sms_model, spam) > 0.5


@pytest.mark.parametrize(
    "text",
    [
        "see you at the station at 6",
        "Are we still on for dinner tonight?",
        "Call me when you get this",
        "I have a prize for you, call me",
    ],
)
def test_adding_spam_cues_raises_spam_probability(sms_model, text):
    before = spam_probability(sms_model, text)
    after = spam_probability(sms_model, text + SPAM_CUE)
    assert after > before
    assert after > 0.5


def test_a_friendly_sign_off_does_not_rescue_spam(sms_model):
    spam = "WINNER!! You have won a £1000 cash prize. Call 09061701461 to claim"
    assert spam_probability(sms_model, spam + " Love you, see you tonight") > 0.5
