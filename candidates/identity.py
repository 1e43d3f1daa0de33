"""A candidate's identity as the Caisse des Dépôts needs it (domain.md "Accrochage", 18c), and
the checks that refuse what cannot be one: a birth date in the future or before 1900, a person
younger than 15, a phone number or a country code that is not one, a birth place code that is
neither an INSEE commune code nor a postcode.

Countries are ISO 3166-1 alpha-2 codes (what the form and the API take). The CDC schema's
``codePaysNaissance`` is 3 characters: the INSEE "code officiel géographique" of the country
without its "99" prefix (a person born abroad has the INSEE code 99XXX as birth "commune"),
which is what depositors whose files the CDC accepts send (Pix: codeInsee 99109, code pays 109
for Germany). The table below maps one to the other; its values are INSEE's COG "pays et
territoires étrangers" (Licence Ouverte), as carried by the OCA l10n_fr_cog data file.
"""

import datetime

import phonenumbers
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The holder's identity as the certificate snapshots it and the CDC matches it (domain.md,
# "Accrochage"): one list for the form, the services, the CSV import and the CDC checks.
IDENTITY_FIELDS = (
    "birth_name",
    "usage_name",
    "first_names",
    "sex",
    "birth_date",
    "birth_place_code",
    "birth_place_code_kind",
    "birth_place_name",
    "birth_country",
)

FRANCE = "FR"
MINIMUM_AGE = 15  # younger than this on the enrolment date: not a plausible candidate
EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)  # the CDC schema's anneeNaissance starts at 1900
# Phone numbers written without "+" are read as French numbers.
PHONE_DEFAULT_REGION = "FR"

# ISO 3166-1 alpha-2 -> INSEE COG code of the country (99XXX). France itself has none here:
# a person born in France (overseas departments included) has a commune code.
# fmt: off
INSEE_COUNTRY_CODES = {
    "AD": "99130", "AE": "99247", "AF": "99212", "AG": "99441", "AI": "99425", "AL": "99125", "AM": "99252",
    "AO": "99395", "AR": "99415", "AS": "99505", "AT": "99110", "AU": "99501", "AW": "99135", "AZ": "99253",
    "BA": "99118", "BB": "99434", "BD": "99246", "BE": "99131", "BF": "99331", "BG": "99111", "BH": "99249",
    "BI": "99321", "BJ": "99327", "BM": "99425", "BN": "99225", "BO": "99418", "BQ": "99443", "BR": "99416",
    "BS": "99436", "BT": "99214", "BV": "99103", "BW": "99347", "BY": "99148", "BZ": "99429", "CA": "99401",
    "CC": "99501", "CD": "99312", "CF": "99323", "CG": "99324", "CH": "99140", "CI": "99326", "CK": "99502",
    "CL": "99417", "CM": "99322", "CN": "99216", "CO": "99419", "CR": "99406", "CU": "99407", "CV": "99396",
    "CW": "99444", "CX": "99501", "CY": "99254", "CZ": "99116", "DE": "99109", "DJ": "99399", "DK": "99101",
    "DM": "99438", "DO": "99408", "DZ": "99352", "EC": "99420", "EE": "99106", "EG": "99301", "EH": "99389",
    "ER": "99317", "ES": "99134", "ET": "99315", "FI": "99105", "FJ": "99508", "FK": "99427", "FM": "99516",
    "FO": "99101", "GA": "99328", "GB": "99132", "GD": "99435", "GE": "99255", "GG": "99132", "GH": "99329",
    "GI": "99133", "GL": "99430", "GM": "99304", "GN": "99330", "GQ": "99314", "GR": "99126", "GS": "99427",
    "GT": "99409", "GU": "99505", "GW": "99392", "GY": "99428", "HK": "99230", "HM": "99501", "HN": "99411",
    "HR": "99119", "HT": "99410", "HU": "99112", "ID": "99231", "IE": "99136", "IL": "99207", "IM": "99132",
    "IN": "99223", "IO": "99308", "IQ": "99203", "IR": "99204", "IS": "99102", "IT": "99127", "JE": "99132",
    "JM": "99426", "JO": "99222", "JP": "99217", "KE": "99332", "KG": "99257", "KH": "99234", "KI": "99513",
    "KM": "99397", "KN": "99442", "KP": "99238", "KR": "99239", "KW": "99240", "KY": "99425", "KZ": "99256",
    "LA": "99241", "LB": "99205", "LC": "99439", "LI": "99113", "LK": "99235", "LR": "99302", "LS": "99348",
    "LT": "99108", "LU": "99137", "LV": "99107", "LY": "99316", "MA": "99350", "MC": "99138", "MD": "99151",
    "ME": "99120", "MG": "99333", "MH": "99515", "MK": "99156", "ML": "99335", "MM": "99224", "MN": "99242",
    "MO": "99232", "MP": "99505", "MR": "99336", "MS": "99425", "MT": "99144", "MU": "99390", "MV": "99229",
    "MW": "99334", "MX": "99405", "MY": "99227", "MZ": "99393", "NA": "99311", "NE": "99337", "NF": "99501",
    "NG": "99338", "NI": "99412", "NL": "99135", "NO": "99103", "NP": "99215", "NR": "99507", "NU": "99502",
    "NZ": "99502", "OM": "99250", "PA": "99413", "PE": "99422", "PG": "99510", "PH": "99220", "PK": "99213",
    "PL": "99122", "PN": "99503", "PR": "99432", "PS": "99261", "PT": "99139", "PW": "99517", "PY": "99421",
    "QA": "99248", "RO": "99114", "RS": "99121", "RU": "99123", "RW": "99340", "SA": "99201", "SB": "99512",
    "SC": "99398", "SD": "99343", "SE": "99104", "SG": "99226", "SH": "99306", "SI": "99145", "SJ": "99103",
    "SK": "99117", "SL": "99342", "SM": "99128", "SN": "99341", "SO": "99318", "SR": "99437", "SS": "99349",
    "ST": "99394", "SV": "99414", "SX": "99445", "SY": "99206", "SZ": "99391", "TC": "99425", "TD": "99344",
    "TG": "99345", "TH": "99219", "TJ": "99259", "TK": "99502", "TL": "99262", "TM": "99260", "TN": "99351",
    "TO": "99509", "TR": "99208", "TT": "99433", "TV": "99511", "TW": "99236", "TZ": "99309", "UA": "99155",
    "UG": "99339", "US": "99404", "UY": "99423", "UZ": "99258", "VA": "99129", "VC": "99440", "VE": "99424",
    "VG": "99425", "VI": "99432", "VN": "99243", "VU": "99514", "WS": "99506", "XK": "99157", "YE": "99251",
    "ZA": "99303", "ZM": "99346", "ZW": "99310",
}
# fmt: on

# French overseas departments and collectivities have ISO codes of their own but are France
# for the civil registry: their communes have INSEE codes (971xx, 974xx, 988xx...).
FRENCH_OVERSEAS = {"GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "WF", "PF", "NC", "TF"}


def insee_country_code(iso_code: str) -> str:
    """The INSEE code (99XXX) of a country given by its ISO code, "" if unknown or France."""
    return INSEE_COUNTRY_CODES.get((iso_code or "").upper(), "")


def birth_country_error(code: str):
    code = (code or "").strip().upper()
    if code == FRANCE:
        return None
    if code in FRENCH_OVERSEAS:
        return _(
            "A birth in an overseas department or collectivity is a birth in France: choose FR and give "
            "the commune's INSEE code."
        )
    if code not in INSEE_COUNTRY_CODES:
        return _("“%(code)s” is not a country code (ISO 3166, two letters, e.g. FR, DE, MA).") % {"code": code}
    return None


def parse_phone(value: str):
    """The number as a ``PhoneNumber``, or None when it is not a valid phone number."""
    try:
        number = phonenumbers.parse(value, PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def normalise_phone(value: str) -> str:
    """E.164 (+33612345678): one form, whatever the spaces, dots or national prefix typed."""
    value = (value or "").strip()
    number = parse_phone(value) if value else None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number else value


def phone_error(value: str):
    value = (value or "").strip()
    if value and parse_phone(value) is None:
        return _(
            "“%(value)s” is not a phone number: give a French number (06 12 34 56 78) or an "
            "international one starting with + and the country code (+32 470 12 34 56)."
        ) % {"value": value}
    return None


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def birth_date_error(birth_date, *, on_date=None):
    """Refuses a birth date in the future, before 1900, or of someone under 15 on ``on_date``
    (the enrolment date; today for a new candidate record)."""
    if birth_date is None:
        return None
    today = timezone.localdate()
    if birth_date > today:
        return _("The birth date is in the future.")
    if birth_date < EARLIEST_BIRTH_DATE:
        return _("The birth date is before 1900: check the year.")
    on_date = on_date or today
    if age_on(birth_date, on_date) < MINIMUM_AGE:
        return _("The candidate would be under %(age)s on %(date)s: check the birth date.") % {
            "age": MINIMUM_AGE,
            "date": on_date.strftime("%d/%m/%Y"),
        }
    return None


def is_insee_commune_code(code: str) -> bool:
    # 5 characters: 5 digits, or 2A/2B + 3 digits for Corsica. 99XXX are countries, not communes.
    return (
        len(code) == 5
        and (code.isdigit() or (code[:2] in ("2A", "2B") and code[2:].isdigit()))
        and not code.startswith("99")
    )


def is_postcode(code: str) -> bool:
    return len(code) == 5 and code.isdigit() and not code.startswith("99")


def birth_place_errors(*, country: str, code: str, kind: str) -> dict:
    """Field -> message. In France: a commune code, said to be an INSEE code or a postcode (a
    postcode is never sent as an INSEE code). Abroad: the country is enough, no French code."""
    from candidates.models import BirthPlaceCodeKind

    country = (country or "").strip().upper()
    code = (code or "").strip().upper()
    errors = {}
    if country != FRANCE:
        if code:
            errors["birth_place_code"] = _(
                "A person born abroad has no French commune code: leave it empty (the country is sent)."
            )
        return errors
    if code and not kind:
        errors["birth_place_code_kind"] = _("Say whether the birth place code is an INSEE code or a postcode.")
    elif kind == BirthPlaceCodeKind.INSEE and code and not is_insee_commune_code(code):
        errors["birth_place_code"] = _(
            "An INSEE commune code has 5 characters (digits, or 2A/2B then 3 digits for Corsica), e.g. 75056."
        )
    elif kind == BirthPlaceCodeKind.POSTCODE and code and not is_postcode(code):
        errors["birth_place_code"] = _("A postcode has 5 digits, e.g. 69003.")
    elif kind and not code:
        errors["birth_place_code"] = _("Give the birth place code.")
    return errors


def identity_errors(
    *, birth_date=None, birth_country="", birth_place_code="", birth_place_code_kind="", phone=""
) -> dict:
    """Every identity rule at once, field -> message: shared by the model (forms, CSV import,
    services) and the API serializer."""
    errors = {}
    if message := birth_date_error(birth_date):
        errors["birth_date"] = message
    if message := birth_country_error(birth_country):
        errors["birth_country"] = message
    else:
        errors.update(birth_place_errors(country=birth_country, code=birth_place_code, kind=birth_place_code_kind))
    if message := phone_error(phone):
        errors["phone"] = message
    return errors
