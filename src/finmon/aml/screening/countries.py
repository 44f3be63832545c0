"""Country names to ISO 3166 alpha-2 codes.

Lists write countries as words ("Iran", "Korea, North", "Syrian Arab
Republic"); a screening request gives a code. Both sides are reduced to a code
here so a nationality can boost or penalise a match. Unknown words are kept as
they are (casefolded) rather than dropped, so nothing is silently lost.
"""

from __future__ import annotations

import re
import unicodedata

_TABLE = """
AF Afghanistan|AX Aland Islands|AL Albania|DZ Algeria|AS American Samoa|AD Andorra|AO Angola
AI Anguilla|AG Antigua and Barbuda|AR Argentina|AM Armenia|AW Aruba|AU Australia|AT Austria
AZ Azerbaijan|BS Bahamas;The Bahamas;Bahamas, The|AN Netherlands Antilles|BH Bahrain
BD Bangladesh|BB Barbados|BY Belarus|BE Belgium|BZ Belize|BJ Benin|BM Bermuda|BT Bhutan
BO Bolivia;Plurinational State of Bolivia|BA Bosnia and Herzegovina|BW Botswana|BR Brazil
VG British Virgin Islands;Virgin Islands, British|BN Brunei;Brunei Darussalam|BG Bulgaria
BF Burkina Faso|BI Burundi|KH Cambodia|CM Cameroon|CA Canada|CV Cape Verde;Cabo Verde
KY Cayman Islands|CF Central African Republic|TD Chad|CL Chile
CN China;People's Republic of China|CO Colombia|KM Comoros
CG Congo;Republic of the Congo;Congo, Republic of the
CD Democratic Republic of the Congo;Congo, Democratic Republic of the;DRC|CK Cook Islands
CR Costa Rica|CI Cote d'Ivoire;Ivory Coast|HR Croatia|CU Cuba|CW Curacao|CY Cyprus
CZ Czech Republic;Czechia|DK Denmark|DJ Djibouti|DM Dominica|DO Dominican Republic|EC Ecuador
EG Egypt|SV El Salvador|GQ Equatorial Guinea|ER Eritrea|EE Estonia|SZ Eswatini;Swaziland
ET Ethiopia|FJ Fiji|FI Finland|FR France|GF French Guiana|PF French Polynesia|GA Gabon
GM Gambia;The Gambia|GE Georgia|DE Germany|GH Ghana|GI Gibraltar|GR Greece|GL Greenland
GD Grenada|GT Guatemala|GG Guernsey|GN Guinea|GW Guinea-Bissau|GY Guyana|HT Haiti|HN Honduras
HK Hong Kong|HU Hungary|IS Iceland|IN India|ID Indonesia
IR Iran;Islamic Republic of Iran;Iran (Islamic Republic of)|IQ Iraq|IE Ireland|IM Isle of Man
IL Israel|IT Italy|JM Jamaica|JP Japan|JE Jersey|JO Jordan|KZ Kazakhstan|KE Kenya|KI Kiribati
KP North Korea;Korea, North;Democratic People's Republic of Korea;DPRK
KR South Korea;Korea, South;Republic of Korea|XK Kosovo|KW Kuwait|KG Kyrgyzstan
LA Laos;Lao People's Democratic Republic|LV Latvia|LB Lebanon|LS Lesotho|LR Liberia|LY Libya
LI Liechtenstein|LT Lithuania|LU Luxembourg|MO Macau;Macao|MG Madagascar|MW Malawi|MY Malaysia
MV Maldives|ML Mali|MT Malta|MH Marshall Islands|MR Mauritania|MU Mauritius|MX Mexico
FM Micronesia|MD Moldova;Republic of Moldova|MC Monaco|MN Mongolia|ME Montenegro|MA Morocco
MZ Mozambique|MM Burma;Myanmar|NA Namibia|NR Nauru|NP Nepal|NL Netherlands;The Netherlands
NC New Caledonia|NZ New Zealand|NI Nicaragua|NE Niger|NG Nigeria
MK North Macedonia;Macedonia;The former Yugoslav Republic of Macedonia|NO Norway|OM Oman
PK Pakistan|PW Palau|PS Palestinian;Palestine;West Bank;Gaza|PA Panama|PG Papua New Guinea
PY Paraguay|PE Peru|PH Philippines|PL Poland|PT Portugal|PR Puerto Rico|QA Qatar|RO Romania
RU Russia;Russian Federation|RW Rwanda|KN Saint Kitts and Nevis|LC Saint Lucia
VC Saint Vincent and the Grenadines|WS Samoa|SM San Marino|ST Sao Tome and Principe
SA Saudi Arabia|SN Senegal|RS Serbia|SC Seychelles|SL Sierra Leone|SG Singapore|SX Sint Maarten
SK Slovakia|SI Slovenia|SB Solomon Islands|SO Somalia|ZA South Africa|SS South Sudan|ES Spain
LK Sri Lanka|SD Sudan|SR Suriname|SE Sweden|CH Switzerland|SY Syria;Syrian Arab Republic
TW Taiwan|TJ Tajikistan|TZ Tanzania;United Republic of Tanzania|TH Thailand|TL Timor-Leste
TG Togo|TO Tonga|TT Trinidad and Tobago|TN Tunisia|TR Turkey;Turkiye|TM Turkmenistan
TC Turks and Caicos Islands|TV Tuvalu|UG Uganda|UA Ukraine|AE United Arab Emirates;UAE
GB United Kingdom;UK;United Kingdom of Great Britain and Northern Ireland;Great Britain
US United States;USA;United States of America|UY Uruguay|UZ Uzbekistan|VU Vanuatu
VE Venezuela;Venezuela (Bolivarian Republic of)|VN Vietnam;Viet Nam|YE Yemen|ZM Zambia
ZW Zimbabwe|CS Serbia and Montenegro|YU Yugoslavia|SU Soviet Union
"""

_ADJECTIVES = {
    "afghan": "AF",
    "algerian": "DZ",
    "american": "US",
    "british": "GB",
    "chinese": "CN",
    "cuban": "CU",
    "egyptian": "EG",
    "french": "FR",
    "german": "DE",
    "indian": "IN",
    "iranian": "IR",
    "iraqi": "IQ",
    "jordanian": "JO",
    "kuwaiti": "KW",
    "lebanese": "LB",
    "libyan": "LY",
    "moroccan": "MA",
    "pakistani": "PK",
    "russian": "RU",
    "saudi": "SA",
    "somali": "SO",
    "sudanese": "SD",
    "syrian": "SY",
    "tunisian": "TN",
    "turkish": "TR",
    "ukrainian": "UA",
    "venezuelan": "VE",
    "yemeni": "YE",
    "mexican": "MX",
    "colombian": "CO",
}


def _key(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    return re.sub(r"[^a-z0-9]+", " ", folded).strip()


def _build() -> tuple[dict[str, str], frozenset[str]]:
    names: dict[str, str] = {}
    codes: set[str] = set()
    for item in _TABLE.replace("\n", "|").split("|"):
        item = item.strip()
        if not item:
            continue
        code, _, rest = item.partition(" ")
        codes.add(code)
        for name in rest.split(";"):
            names[_key(name)] = code
    for adjective, code in _ADJECTIVES.items():
        names.setdefault(adjective, code)
    return names, frozenset(codes)


_NAMES, CODES = _build()


def to_code(text: str) -> str:
    """ISO alpha-2 code for a country name or code; the casefolded text when unknown."""
    stripped = text.strip().rstrip(".")
    if len(stripped) == 2 and stripped.upper() in CODES:
        return stripped.upper()
    key = _key(stripped)
    for prefix in ("of registration ", "possibly ", "state of "):
        if key.startswith(prefix) and key[len(prefix) :] in _NAMES:
            return _NAMES[key[len(prefix) :]]
    return _NAMES.get(key, key)


__all__ = ["CODES", "to_code"]
