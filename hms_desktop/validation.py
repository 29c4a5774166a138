"""Field rules shared by every service: names, emails, Indian mobile numbers, PIN codes, GSTIN, Aadhaar.

Each ``clean_*`` returns the normalised value or raises ``ValidationError`` naming the field.
"""

from __future__ import annotations

import re

from hms_desktop.errors import ValidationError

GST_STATE_CODES: dict[str, str] = {
    "01": "Jammu and Kashmir", "02": "Himachal Pradesh", "03": "Punjab", "04": "Chandigarh",
    "05": "Uttarakhand", "06": "Haryana", "07": "Delhi", "08": "Rajasthan", "09": "Uttar Pradesh",
    "10": "Bihar", "11": "Sikkim", "12": "Arunachal Pradesh", "13": "Nagaland", "14": "Manipur",
    "15": "Mizoram", "16": "Tripura", "17": "Meghalaya", "18": "Assam", "19": "West Bengal",
    "20": "Jharkhand", "21": "Odisha", "22": "Chhattisgarh", "23": "Madhya Pradesh", "24": "Gujarat",
    "26": "Dadra and Nagar Haveli and Daman and Diu", "27": "Maharashtra", "29": "Karnataka", "30": "Goa",
    "31": "Lakshadweep", "32": "Kerala", "33": "Tamil Nadu", "34": "Puducherry",
    "35": "Andaman and Nicobar Islands", "36": "Telangana", "37": "Andhra Pradesh", "38": "Ladakh",
    "97": "Other Territory",
}  # fmt: skip

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_GSTIN = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")
_GSTIN_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def clean_text(value: str | None, field: str, *, label: str, required: bool = True, max_len: int = 200) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        raise ValidationError(field, f"{label} is required.")
    if len(text) > max_len:
        raise ValidationError(field, f"{label} can have at most {max_len} characters.")
    return text


def clean_email(value: str | None, field: str = "email", *, required: bool = True) -> str:
    text = (value or "").strip().lower()
    if not text:
        if required:
            raise ValidationError(field, "Email is required.")
        return ""
    if len(text) > 254 or not _EMAIL.match(text):
        raise ValidationError(field, f"{value!s} is not a valid email address.")
    return text


def clean_mobile(value: str | None, field: str = "phone", *, required: bool = True) -> str:
    """An Indian mobile number as 10 digits; accepts +91, 0 prefixes, spaces and dashes."""
    raw = (value or "").strip()
    if not raw:
        if required:
            raise ValidationError(field, "Mobile number is required.")
        return ""
    digits = re.sub(r"[\s\-()]", "", raw)
    if digits.startswith("+91"):
        digits = digits[3:]
    elif digits.startswith("91") and len(digits) == 12:
        digits = digits[2:]
    elif digits.startswith("0") and len(digits) == 11:
        digits = digits[1:]
    if not digits.isdigit() or len(digits) != 10:
        raise ValidationError(field, "A mobile number has 10 digits, for example 98765 43210.")
    if digits[0] not in "6789":
        raise ValidationError(field, "An Indian mobile number starts with 6, 7, 8 or 9.")
    if len(set(digits)) == 1:
        raise ValidationError(field, "That mobile number is not real (all digits the same).")
    return digits


def clean_contact_phone(value: str | None, field: str = "phone") -> str:
    """A landline (with STD code) or mobile number for a business contact: 10 to 12 digits."""
    raw = (value or "").strip()
    if not raw:
        return ""
    digits = re.sub(r"[\s\-()+]", "", raw)
    if not digits.isdigit() or not 10 <= len(digits) <= 13:
        raise ValidationError(field, "A phone number has 10 to 12 digits, for example 080 2345 6789.")
    return raw


def clean_pincode(value: str | None, field: str = "pincode", *, required: bool = False) -> str:
    text = (value or "").replace(" ", "")
    if not text:
        if required:
            raise ValidationError(field, "PIN code is required.")
        return ""
    if not (text.isdigit() and len(text) == 6 and text[0] != "0"):
        raise ValidationError(field, "A PIN code has 6 digits and does not start with 0.")
    return text


def clean_state_code(value: str | None, field: str = "state_code", *, required: bool = False) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise ValidationError(field, "State is required.")
        return None
    text = text.zfill(2)
    if text not in GST_STATE_CODES:
        raise ValidationError(field, f"{value} is not a GST state code (01..38, 97).")
    return text


def gstin_check_char(first14: str) -> str:
    total = 0
    for i, ch in enumerate(first14):
        product = _GSTIN_CHARS.index(ch) * (2 if i % 2 else 1)
        total += product // 36 + product % 36
    return _GSTIN_CHARS[(36 - total % 36) % 36]


def clean_gstin(value: str | None, field: str = "gstin", *, required: bool = False) -> str | None:
    text = (value or "").strip().upper().replace(" ", "")
    if not text:
        if required:
            raise ValidationError(field, "GSTIN is required.")
        return None
    if not _GSTIN.match(text):
        raise ValidationError(field, "A GSTIN has 15 characters: state code, PAN, entity number, Z, check digit.")
    if text[:2] not in GST_STATE_CODES:
        raise ValidationError(field, f"The GSTIN starts with {text[:2]}, which is not a GST state code.")
    if gstin_check_char(text[:14]) != text[14]:
        raise ValidationError(field, "The GSTIN's check digit is wrong; please re-check the number.")
    return text


# Between the groups of four: spaces, dots, dashes (any kind), slashes, underscores, up to three of them
# ("2345 6789 0124", "2345.6789.0124", "2345 - 6789 - 0124", "2345/6789/0124").
_AADHAAR_SEPARATOR = r"[\s.\-/_\u2010-\u2015]{0,3}"
_AADHAAR_IN_TEXT = re.compile(rf"(?<!\d)\d{{4}}{_AADHAAR_SEPARATOR}\d{{4}}{_AADHAAR_SEPARATOR}(\d{{4}})(?!\d)")


def redact_aadhaar(text: str) -> str:
    """Mask every 12-digit (Aadhaar-shaped) number in free text to ``XXXX XXXX 1234``."""
    return _AADHAAR_IN_TEXT.sub(lambda m: f"XXXX XXXX {m.group(1)}", text)


def mask_aadhaar(value: str | None, field: str = "aadhaar") -> tuple[str, str] | None:
    """(masked ``XXXX XXXX 1234``, last four) from a 12-digit Aadhaar number or its last four digits.

    The full number is used only here, to check its form and its Verhoeff check digit, and then dropped.
    """
    digits = re.sub(r"[\s.\-/_\u2010-\u2015]", "", value or "")
    if not digits:
        return None
    if digits.isdigit() and len(digits) == 4:
        return f"XXXX XXXX {digits}", digits
    if not (digits.isdigit() and len(digits) == 12) or digits[0] in "01":
        raise ValidationError(field, "An Aadhaar number has 12 digits and does not start with 0 or 1.")
    if not verhoeff_valid(digits):
        raise ValidationError(field, "That Aadhaar number's check digit is wrong; please re-check it.")
    return f"XXXX XXXX {digits[-4:]}", digits[-4:]


_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]  # fmt: skip
_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]  # fmt: skip


def verhoeff_valid(digits: str) -> bool:
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _D[c][_P[i % 8][int(ch)]]
    return c == 0
